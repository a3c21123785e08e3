"""Chinese heading patterns and the labels shown in a passage's section path."""

from __future__ import annotations

import re

NUMERAL = "一二三四五六七八九十百"
# Level 1 is an annex (附件N); the document itself is level 0.
HEADING_PATTERNS: list[tuple[int, re.Pattern[str]]] = [
    (2, re.compile(rf"^([{NUMERAL}]+)、")),
    (3, re.compile(rf"^[（(]([{NUMERAL}]+)[）)]")),
    (4, re.compile(r"^(\d{1,3})\s*[.．、](?!\d)")),  # annex 1 of 004 runs to item 100
    (5, re.compile(r"^[（(](\d{1,2})[）)]")),
]
TITLE_END = re.compile(r"[。；：:;]")
MAX_LABEL = 40


def heading_level(text: str) -> int | None:
    for level, pattern in HEADING_PATTERNS:
        if pattern.match(text):
            return level
    return None


def heading_label(text: str) -> str:
    """`(二十八) 方便企业获得电力。2019年…` → `（二十八）方便企业获得电力`."""
    level = heading_level(text)
    if level in (3, 5):
        marker_end = text.index(")") if ")" in text[:6] else text.index("）")
        marker = "（" + text[1:marker_end].strip() + "）"
        rest = text[marker_end + 1 :]
    elif level == 4:
        match = HEADING_PATTERNS[2][1].match(text)
        assert match is not None
        marker, rest = match.group(1) + ".", text[match.end() :]
    else:
        marker, rest = "", text
    rest = rest.strip()
    end = TITLE_END.search(rest)
    title = rest[: end.start()] if end else rest
    if len(title) > MAX_LABEL:
        title = title[:MAX_LABEL] + "…"
    return marker + title
