"""Source lines cleaned of PDF debris, classified, and reflowed across page breaks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from corpus.headings import heading_level
from corpus.mapped_text import MappedText

CJK = r"\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef“”‘’…—"
# Markdown decoration and stray marks carry no text of the plan.
DECORATION = re.compile(r"^\s*#+\s*|^\s*-\s+(?=\S)|\*\*|</?u>|■")
# Spaces next to a Chinese character are PDF artefacts (`2019 年`, `营商环境 工作要点`).
CJK_SPACE = re.compile(rf"(?<=[{CJK}])[ \u3000]+|[ \u3000]+(?=[{CJK}])")
TABLE_MARKUP = re.compile(r"^\s*\|[\s\-:|]+\|\s*$|\|")
PAGE_NUMBER = re.compile(r"^[-—–\s]*\d{1,3}[-—–\s]*$")
FIELD = re.compile(r"^[（(]?(责任单位|牵头单位|配合单位|时间节点|完成时限|完成时间)[：:]")
# `11 “三零”：零上门是指…`, `⁴ 供电企业：是指…`, `9 临时用电: 对…`: page-foot definitions.
FOOTNOTE = re.compile(r"^(?:[⁰¹²³⁴⁵⁶⁷⁸⁹]+|\d{1,2})\s*[“\"「]?([^“”\"」：:，。.．、\s\d]{2,16})[”\"」]?\s*[：:]")
NOTE = re.compile(r"^\*?(注|备注)\s*[：:]")
ANNEX_MARK = re.compile(r"^附件\s*(\d*)$")
ANNEX_LIST = re.compile(r"^附件\s*[：:]")
SENTENCE_END = "。！？；!?;：:"


class LineKind(StrEnum):
    BODY = "body"
    HEADING = "heading"
    FIELD = "field"
    TABLE = "table"
    RAW = "raw"  # tab-separated OCR debris: kept, never joined
    FOOTNOTE = "footnote"
    NOTE = "note"
    ANNEX_MARK = "annex_mark"
    ANNEX_LIST = "annex_list"
    ANNEX_TITLE = "annex_title"  # set by the parser once the annex list is known


@dataclass
class Line:
    number: int  # 1-based line of the first source line
    kind: LineKind
    text: MappedText


@dataclass(frozen=True)
class CleanedSource:
    lines: list[Line]
    dropped: list[tuple[int, int]]  # spans of page numbers and marks removed as debris


def classify(text: str) -> LineKind:
    if text.startswith("|"):
        return LineKind.TABLE
    if "\t" in text:
        return LineKind.RAW
    if ANNEX_MARK.match(text):
        return LineKind.ANNEX_MARK
    if ANNEX_LIST.match(text):
        return LineKind.ANNEX_LIST
    if FIELD.match(text):
        return LineKind.FIELD
    if FOOTNOTE.match(text):
        return LineKind.FOOTNOTE
    if NOTE.match(text):
        return LineKind.NOTE
    if heading_level(text) is not None:
        return LineKind.HEADING
    return LineKind.BODY


def clean_lines(source: str) -> CleanedSource:
    lines: list[Line] = []
    dropped: list[tuple[int, int]] = []
    offset = 0
    for number, raw in enumerate(source.split("\n"), start=1):
        mapped = MappedText.from_source(raw, offset)
        offset += len(raw) + 1
        # Debris and markup are not text of the plan: recorded so coverage can leave them out.
        for match in DECORATION.finditer(raw):
            dropped.append((mapped.offsets[match.start()], mapped.offsets[match.start()] + len(match[0])))
        if raw.lstrip().startswith("|"):
            dropped += [(mapped.offsets[m.start()], mapped.offsets[m.end() - 1] + 1) for m in TABLE_MARKUP.finditer(raw)]
        text = mapped.without(DECORATION)
        if not text.text.startswith("|"):
            text = text.without(CJK_SPACE)
        text = text.strip()
        if not text.text:
            continue
        if PAGE_NUMBER.match(text.text):
            dropped.append(text.span)
            continue
        lines.append(Line(number, classify(text.text), text))
    return CleanedSource(lines, dropped)


def _is_title_like(text: str) -> bool:
    """A short line with no clause punctuation: a heading or title, never continued."""
    return len(text) <= 50 and not re.search(r"[，。；、,;]", text)


def continues(previous: Line, line: Line) -> bool:
    """Does `line` continue the sentence that a page break cut at the end of `previous`?"""
    joinable_previous = (LineKind.BODY, LineKind.HEADING, LineKind.FIELD, LineKind.FOOTNOTE, LineKind.NOTE)
    if previous.kind not in joinable_previous or line.kind is not LineKind.BODY:
        return False
    text = previous.text.text
    if text[-1] in SENTENCE_END or _is_title_like(text):
        return False
    if previous.kind is LineKind.HEADING and not re.search(r"[。；;]", text):
        return False  # `一、总体要求` is complete; the paragraph below it is its body
    # A closing bracket ends a trailing (责任单位：…) note, but mid-sentence elsewhere.
    return not (text[-1] in ")）" and re.search(r"责任单位|负责|牵头", text[-40:]))


def reflow(lines: list[Line]) -> list[Line]:
    merged: list[Line] = []
    for line in lines:
        if merged and continues(merged[-1], line):
            previous = merged[-1]
            previous.text = MappedText.join([previous.text, line.text])
        else:
            merged.append(line)
    return merged
