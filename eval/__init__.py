"""Measuring the pipeline: gold questions, the relevance rule and the evaluation runner."""
