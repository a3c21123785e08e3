"""Chinese heading patterns and the labels shown in a passage's section path.

Two outlines meet here. Laws and regulations: 第X编 › 第X章 › 第X节 › 第X条, an article's
（一）… items being part of the article. Plans and notices: 一、 › （一） › 1. › （1）. A notice may
carry a regulation as its annex, so both live on one scale of levels, the document at 0.
"""

from __future__ import annotations

import re
from enum import IntEnum

from corpus.metadata import chinese_to_int


class HeadingLevel(IntEnum):
    DOCUMENT = 0
    ANNEX = 1  # 附件N
    PART = 2  # 第X编, 第X部分
    CHAPTER = 3  # 第X章
    SECTION = 4  # 第X节
    ARTICLE = 5  # 第X条
    TOPIC = 6  # 一、
    ITEM = 7  # （一）
    POINT = 8  # 1.
    SUBPOINT = 9  # （1）


NUMERAL = "一二三四五六七八九十百"
LEGAL_NUMERAL = "零〇一二两三四五六七八九十百千"
LEGAL_UNITS = {"编": HeadingLevel.PART, "部分": HeadingLevel.PART, "章": HeadingLevel.CHAPTER,
               "节": HeadingLevel.SECTION, "条": HeadingLevel.ARTICLE}
# `第十条`, `第 1 条`, `第一部分：…`; a space may follow the marker, the text of an article often does.
LEGAL = re.compile(rf"^第\s*([{LEGAL_NUMERAL}]+|\d{{1,4}})\s*(编|部分|章|节|条)")
# `第二十条第一款规定的…`, `第三条规定…`: a paragraph that cites an article, not an article.
CITATION_AFTER = re.compile(r"^\s*(?:第|规定|的|、|至|和|或|中|所|之|款|项|，|,)")
ARTICLE_TITLE = re.compile(r"^\s*【([^】]{1,20})】")  # `第一条【立法目的】`
PLAN_PATTERNS: list[tuple[HeadingLevel, re.Pattern[str]]] = [
    (HeadingLevel.TOPIC, re.compile(rf"^([{NUMERAL}]+)、")),
    (HeadingLevel.ITEM, re.compile(rf"^[（(]([{NUMERAL}]+)[）)]")),
    (HeadingLevel.POINT, re.compile(r"^(\d{1,3})\s*[.．、](?!\d)")),  # annex 1 of 004 runs to item 100
    (HeadingLevel.SUBPOINT, re.compile(r"^[（(](\d{1,2})[）)]")),
]
TITLE_END = re.compile(r"[。；：:;]")
MAX_LABEL = 40
MAX_DIVISION_TITLE = 40  # `第二章 市场主体保护`: a chapter line is a title, never a sentence


def _legal_match(text: str) -> tuple[HeadingLevel, re.Match[str]] | None:
    match = LEGAL.match(text)
    if not match or CITATION_AFTER.match(text[match.end():]):
        return None
    level = LEGAL_UNITS[match.group(2)]
    if level is not HeadingLevel.ARTICLE:
        rest = text[match.end():]
        if len(rest) > MAX_DIVISION_TITLE or re.search(r"[，。；,;]", rest):
            return None
    return level, match


def heading_level(text: str) -> HeadingLevel | None:
    if legal := _legal_match(text):
        return legal[0]
    for level, pattern in PLAN_PATTERNS:
        if pattern.match(text):
            return level
    return None


def plan_number(text: str) -> int | None:
    """The number of a plan heading: `三、` → 3, `（十二）` → 12, `4.` → 4; None for others."""
    for _, pattern in PLAN_PATTERNS:
        if match := pattern.match(text):
            number = match.group(1)
            if number.isdigit():
                return int(number)
            return chinese_to_int(number) if "百" not in number else None
    return None


def is_legal(level: HeadingLevel | None) -> bool:
    """第X编 / 第X部分 / 第X章 / 第X节 / 第X条."""
    return level is not None and HeadingLevel.PART <= level <= HeadingLevel.ARTICLE


def legal_marker(text: str) -> str:
    """`第 1 条　国家…` → `第1条`."""
    legal = _legal_match(text)
    assert legal is not None, text
    number, unit = legal[1].groups()
    return f"第{number}{unit}"


def heading_label(text: str) -> str:
    """`(二十八) 方便企业获得电力。2019年…` → `（二十八）方便企业获得电力`; `第二章　市场主体保护` →
    `第二章 市场主体保护`; `第十条 国家坚持…` → `第十条` (an article's label is its number)."""
    level = heading_level(text)
    if is_legal(level):
        legal = _legal_match(text)
        assert legal is not None
        marker, rest = legal_marker(text), text[legal[1].end():]
        if level is HeadingLevel.ARTICLE:
            title = ARTICLE_TITLE.match(rest)
            return f"{marker} {title.group(1)}" if title else marker
        rest = rest.strip().strip("：:").strip()
        return f"{marker} {rest[:MAX_LABEL]}".strip()
    if level in (HeadingLevel.ITEM, HeadingLevel.SUBPOINT):
        marker_end = text.index(")") if ")" in text[:6] else text.index("）")
        marker = "（" + text[1:marker_end].strip() + "）"
        rest = text[marker_end + 1 :]
    elif level is HeadingLevel.POINT:
        match = PLAN_PATTERNS[2][1].match(text)
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
