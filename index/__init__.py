"""Retrieval index building blocks for policy-qa."""
