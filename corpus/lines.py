"""Source lines cleaned of PDF debris, classified, and reflowed across page breaks."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from corpus.fields import LABELS
from corpus.headings import LEGAL, LEGAL_NUMERAL, HeadingLevel, heading_level, is_legal
from corpus.mapped_text import MappedText

CJK = r"\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef“”‘’…—"
# Markdown decoration and stray marks carry no text of the plan.
DECORATION = re.compile(r"^\s*#+\s*|^\s*-\s+(?=\S)|\*\*|</?u>|■")
# Spaces next to a Chinese character are PDF artefacts (`2019 年`, `营商环境 工作要点`).
CJK_SPACE = re.compile(rf"(?<=[{CJK}])[ \u3000]+|[ \u3000]+(?=[{CJK}])")
TABLE_MARKUP = re.compile(r"^\s*\|[\s\-:|]+\|\s*$|\|")
PAGE_NUMBER = re.compile(r"^[-—–\s]*\d{1,3}[-—–\s]*$")
FIELD = re.compile(rf"^[（(]?({LABELS})\s*[：:]")
# The end matter of a notice (版记, 附注): kept out of the clause above it.
COLOPHON = re.compile(r"^(?:[（(](?:此件|此页)[^（()）]{1,12}[）)]$|[（(]?(?:抄送|抄报|公开方式|信息公开选项|主题词|联系人)\s*[：:]"
                      r"|.{0,60}印发$)")
DATE_LINE = re.compile(r"^(?:\d{4}|[〇○零一二三四五六七八九]{4})年[\d一二三四五六七八九十]{1,3}月[\d一二三四五六七八九十]{1,3}日$")
# `第十条　国家…`: the space after an article's number stays, it separates the number from the text.
LEGAL_MARKER_SPACE = re.compile(rf"^(第\s*(?:[{LEGAL_NUMERAL}]+|\d{{1,4}})\s*(?:编|部分|章|节|条))([ \u3000\t])[ \u3000\t]*(?=\S)")
# `11 “三零”：零上门是指…`, `⁴ 供电企业：是指…`, `9 临时用电: 对…`: page-foot definitions. The term may
# carry a bracketed qualifier: `8 电能替代改造和新建项目（电能替代设备容量…高于50%的项目）：是指…`.
FOOTNOTE = re.compile(r"^(?:[⁰¹²³⁴⁵⁶⁷⁸⁹]+|\d{1,2})\s*[“\"「]?([^“”\"」：:，。.．、（()）\s\d]{2,16})[”\"」]?"
                      r"(?:[（(][^（()）：:。]{1,40}[）)])?\s*[：:]")
NOTE = re.compile(r"^\*?(注|备注)\s*[：:]")
ANNEX_MARK = re.compile(r"^(附件|附录)\s*(\d*)$")
MARKDOWN_HEADING = re.compile(r"^\s*#+\s")
# `四、其他收入0.00`, `一、财政拨款收入 96,282,213.44 …`: a budget table's row, numbered like a heading.
AMOUNT_END = re.compile(r"\d\.\d{2}$")
# `沪建建管联〔2026〕188号`, `…关于印发《…》的通知`: header lines that are complete however long.
WHOLE_LINE = re.compile(r"^[\u4e00-\u9fff]{1,12}\s*[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*\d+\s*号$|的通知$")
# `204 06 13 信息化建设 2278800.00 2278800.00 0.00`: a table row a PDF gave as a line of figures.
FIGURE_ROW = re.compile(r"(?:\s+-?\d[\d,.]*%?){2,}\s*$")
ANNEX_LIST = re.compile(r"^附件\s*[：:]")
SENTENCE_END = "。！？；!?;：:"
TITLE_MAX = 50  # a heading or title is one short line; a longer unpunctuated line is a cut sentence
FRAGMENT_MAX = 40
# `（二十四）…规范性文件清理` + `工作。2019年底前…`: a few characters closing the sentence above.
CUT_REMNANT = re.compile(r"^[^，。；、,;：:\s]{1,4}[。；;]")
# `…负责落实 10` + `(6) 千伏及以上…`: `10（6）千伏` cut by a page break, not a heading `（6）`.
CUT_NUMBER = re.compile(r"^[（(]\d{1,2}[）)]")


class LineKind(StrEnum):
    BODY = "body"
    HEADING = "heading"
    FIELD = "field"
    TABLE = "table"
    RAW = "raw"  # tab-separated OCR debris: kept, never joined
    FOOTNOTE = "footnote"
    NOTE = "note"
    COLOPHON = "colophon"  # 抄送, 印发, 公开方式, （此件公开发布）
    DATE = "date"  # a date on a line of its own: the end of a signature
    ANNEX_MARK = "annex_mark"
    ANNEX_LIST = "annex_list"
    ANNEX_TITLE = "annex_title"  # set by the parser once the annex list is known


@dataclass
class Line:
    number: int  # 1-based line of the first source line
    kind: LineKind
    text: MappedText
    whole: bool = False  # a markdown heading, a 文号, a notice title: never joined to another line


@dataclass(frozen=True)
class CleanedSource:
    lines: list[Line]
    dropped: list[tuple[int, int]]  # spans of page numbers and marks removed as debris


def classify(text: str) -> LineKind:
    if text.startswith("|"):
        return LineKind.TABLE
    if "\t" in text and not is_legal(heading_level(text)):  # `第一条\t为了…`: a tab after an article's number
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
    if heading_level(text) is not None and not AMOUNT_END.search(text):
        return LineKind.HEADING
    if COLOPHON.match(text):
        return LineKind.COLOPHON
    if DATE_LINE.match(text):
        return LineKind.DATE
    return LineKind.BODY


def _without_cjk_spaces(text: MappedText) -> MappedText:
    marker = LEGAL_MARKER_SPACE.match(text.text)
    if not marker:
        return text.without(CJK_SPACE)
    return MappedText.join([text[: marker.end(1)].without(CJK_SPACE), text[marker.start(2) : marker.end(2)],
                            text[marker.end() :].without(CJK_SPACE)])


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
            text = _without_cjk_spaces(text)
        text = text.strip()
        if not text.text:
            continue
        if PAGE_NUMBER.match(text.text):
            dropped.append(text.span)
            continue
        whole = bool(MARKDOWN_HEADING.match(raw) or WHOLE_LINE.search(text.text) or FIGURE_ROW.search(text.text))
        lines.append(Line(number, classify(text.text), text, whole))
    return CleanedSource(lines, dropped)


def _is_title_like(text: str) -> bool:
    """A short line with no clause punctuation: a heading or title, never continued."""
    return len(text) <= TITLE_MAX and not re.search(r"[，。；、;]|,(?!\d)", text)  # `96,282,213.44` is a figure


def _is_article_text(text: str) -> bool:
    """`第三条 本条例所称…`: an article with its text (not `第三条` or `第一条【立法目的】` alone)."""
    if heading_level(text) is not HeadingLevel.ARTICLE:
        return False
    rest = LEGAL.sub("", text).strip()
    return bool(rest) and not re.fullmatch(r"【[^】]*】", rest)


def _is_fragment(text: str) -> bool:
    """A short piece with no sentence end before its last character: the rest of a cut line."""
    return len(text) <= FRAGMENT_MAX and not re.search(r"[。！？；!?;]", text[:-1])


def _may_continue(previous: str, line: Line) -> bool:
    """Can `line` be the second half of a cut line at all? Body text, or `(6)` after a cut `10`."""
    if line.kind is LineKind.BODY:
        return True
    return line.kind is LineKind.HEADING and previous[-1].isdigit() and bool(CUT_NUMBER.match(line.text.text))


def continues(previous: Line, line: Line) -> bool:
    """Does `line` continue the sentence that a page break cut at the end of `previous`?"""
    joinable_previous = (LineKind.BODY, LineKind.HEADING, LineKind.FIELD, LineKind.FOOTNOTE, LineKind.NOTE)
    text = previous.text.text
    if previous.kind not in joinable_previous or not _may_continue(text, line) or text[-1] in SENTENCE_END:
        return False
    if previous.whole or line.whole:
        return False
    if CUT_REMNANT.match(line.text.text):
        return True  # even after a title-like line: no paragraph opens with a sentence of a few characters
    if previous.kind is LineKind.HEADING and _is_article_text(text):
        return True  # `第三条 本条例所称营商环境是指…在` + `市场经济活动中…`: an article's text is never a title
    if _is_title_like(text):
        return False
    if previous.kind is LineKind.FIELD:
        # A unit list cut mid-way, or its last few units; a whole paragraph after it is the next clause.
        return text[-1] in "、，," or _is_fragment(line.text.text)
    if previous.kind is LineKind.HEADING and len(text) <= TITLE_MAX and not re.search(r"[。；;]", text):
        return False  # `一、总体要求` is complete; the paragraph below it is its body
    # A closing bracket ends a trailing (责任单位：…) note, but mid-sentence elsewhere.
    return not (text[-1] in ")）" and re.search(r"责任单位|负责|牵头", text[-40:]))


def _continued_line(merged: list[Line], line: Line, before_notes: bool) -> Line | None:
    """The earlier line that `line` continues, if any.

    Page-foot footnotes interrupt the running text: the text resumes in the first line after
    them, and a footnote cut at one page foot resumes at the next page foot, just above the
    next footnotes.
    """
    if not merged:
        return None
    if merged[-1].kind is LineKind.FOOTNOTE:
        candidates = [_last(merged, lambda m: m.kind is not LineKind.FOOTNOTE), merged[-1]]
    elif before_notes:
        candidates = [_last(merged, lambda m: m.kind is LineKind.FOOTNOTE), merged[-1]]
    else:
        candidates = [merged[-1]]
    return next((c for c in candidates if c is not None and continues(c, line)), None)


def _last(lines: list[Line], wanted: Callable[[Line], bool]) -> Line | None:
    return next((line for line in reversed(lines) if wanted(line)), None)


def reflow(lines: list[Line]) -> list[Line]:
    """Join lines cut by page breaks; a joined line keeps the place and kind of its first half."""
    merged: list[Line] = []
    for i, line in enumerate(lines):
        before_notes = i + 1 < len(lines) and lines[i + 1].kind is LineKind.FOOTNOTE
        if (previous := _continued_line(merged, line, before_notes)) is not None:
            previous.text = MappedText.join([previous.text, line.text])
        else:
            merged.append(line)
    return merged
