"""The relevance rule: a passage is relevant when, after NFKC and with all whitespace removed,
it contains one of the question's evidence strings normalised the same way."""

from __future__ import annotations

import re
import unicodedata

WHITESPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    return WHITESPACE.sub("", unicodedata.normalize("NFKC", text))


def matched_evidence(passage_text: str, evidence: tuple[str, ...]) -> set[int]:
    """Indices of the evidence strings the passage contains."""
    text = normalize(passage_text)
    return {i for i, e in enumerate(evidence) if normalize(e) in text}
