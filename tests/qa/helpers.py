"""Small helpers shared by the qa tests (no fixtures: those live in tests/conftest.py)."""

from __future__ import annotations

import json
import re

QUESTION = "高压用户报装时限是多少"
# Places as the documents name them (Document.region: the county when there is one).
REGIONS = ("焦作市", "平顶山市", "修武县", "三门峡市")
SHORT_REGIONS = ("焦作", "平顶山", "修武", "三门峡")

# Markdown the source files carry and passage texts drop: headings, list markers, bold, underline.
_MARKUP = re.compile(r"(?m)^\s*(?:#+|[-*+]|>)\s+|\*\*|</?u>|\s")


def no_space(text: str) -> str:
    return "".join(text.split())


def core(text: str) -> str:
    """Text without whitespace and without the Markdown markup of the shipped files."""
    return _MARKUP.sub("", text)


def is_subsequence(needle: str, haystack: str) -> bool:
    chars = iter(haystack)
    return all(ch in chars for ch in needle)


def spans_valid(spans: list, text: str) -> bool:
    """[start, end) pairs inside text, non-empty, sorted and not overlapping."""
    previous_end = 0
    for span in spans:
        if len(span) != 2:
            return False
        start, end = span
        if not (isinstance(start, int) and isinstance(end, int) and previous_end <= start < end <= len(text)):
            return False
        previous_end = end
    return True


def error_text(response) -> str:  # noqa: ANN001 - a requests/httpx response
    """The human-readable error of a 4xx body: `message` (validation) or `detail` (HTTPException)."""
    body = response.json()
    if isinstance(body.get("message"), str):
        return body["message"]
    detail = body.get("detail", body.get("error_msg"))
    return detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False)
