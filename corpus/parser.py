"""One document's text → heading tree → cited passages.

Reading order: the header block (发文机关 … date, or a regulation's title and adoption lines)
becomes one passage; then every line is placed under the current heading path. A numbered item
collects its body and trailing 责任单位 / 时间节点 lines until the next heading, then becomes one
clause (split at sentence boundaries when long); a paragraph after those field lines is a further
clause of the item, and an item with no body and no subsections is a clause by itself. An article
(第X条) keeps its later paragraphs and its （一）… items: one clause, split only when long, every
part under the article's label. Tables become one passage per row, footnotes definition passages,
a table of contents, a signature and the end matter (抄送, 印发, 公开方式) text passages of their own.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from corpus.fields import ClauseFields, extract_column_fields, extract_fields
from corpus.headings import HeadingLevel, heading_label, heading_level, is_legal, legal_marker, plan_number
from corpus.lines import ANNEX_MARK, FOOTNOTE, Line, LineKind, clean_lines, reflow
from corpus.mapped_text import LineIndex, MappedText
from corpus.metadata import compact
from corpus.models import Document, Passage, PassageKind, Section, SourceSpan
from corpus.splitting import split_passage_text
from corpus.tables import Header, parse_table, row_text

DEFAULT_MAX_CHARS = 500
ANNEX_ENTRY = re.compile(r"^(?:附件\s*[：:]\s*)?(?:(\d{1,2})\s*[.．、]\s*)?([^|.…。]+?)\s*(?:[.…]{2,}.*)?$")
NUMBERED_TITLE = re.compile(r"^\|?\s*\d{1,2}\s*[.．、]")
EMPTY_TABLE_LINE = re.compile(r"^[\s|:\-]*$")  # `| | |`, `|----|---|`
CONTENTS = re.compile(r"^目\s*录$")
DOT_LEADER = re.compile(r"[.…·．\s]*\d*$")  # `第一章 总则……1`
LEADER = re.compile(r"(?:[.·．]{3,}|…{2,})\s*\d*$")
NO_FIELDS = ClauseFields()
# A body line that names an entry of the table of contents (`三、名词解释` ‹ `名词解释`, `四、部门预算编制说明` ‹
# `2026年部门预算编制说明`, `一、部门主要职能` ‹ `上海市普陀区司法局主要职能`) ends with this share of the entry's
# title, and is a title itself: short, no sentence in it.
CONTENTS_MATCH = 2 / 3
PLAN_NUMBER = re.compile(r"^(?:[一二三四五六七八九十百]+、|[（(][一二三四五六七八九十百\d]+[）)]|\d{1,3}[.．、])")
CONTENTS_TITLE_MAX = 40
SIGNATURE_MAX = 3  # issuer lines above a date line


@dataclass
class ParsedDocument:
    document: Document
    passages: list[Passage]
    outline: Section
    coverage: float  # share of the source's non-whitespace characters that land in a passage


@dataclass
class _Frame:
    level: int
    label: str
    section: Section
    heading: Line | None = None
    number: int | None = None  # `三、` → 3


def _shown_in_label(heading: Line, label: str) -> bool:
    """Is the whole text of a heading line shown in its section label (`一、总体要求`)?"""
    def bare(text: str) -> str:
        return re.sub(r"[：:]", "", compact(text)).rstrip("。；;")

    return bare(heading.text.text) in bare(label)


def _title_only(line: Line) -> bool:
    text = line.text.text
    return len(text) <= 50 and not re.search(r"[。；;]", text.rstrip("。"))


def _entry_title(line: Line) -> str | None:
    entry = ANNEX_ENTRY.match(line.text.text.strip("|- "))
    return compact(entry.group(2)) if entry and entry.group(2) else None


def _in_annex_list(line: Line) -> bool:
    """A numbered title, as a plain line or a table row; a list continued in a table (004: items 5-21)
    brings the table's empty header `| | |` and its separator along."""
    text = line.text.text
    if line.kind is LineKind.TABLE and EMPTY_TABLE_LINE.match(text):
        return True
    return bool(NUMBERED_TITLE.match(text)) and (line.kind is LineKind.TABLE or _title_only(line))


def _annex_list_end(lines: list[Line], start: int) -> int:
    """Index after the annex list opened at `start` (`附件：1. …`)."""
    j = start + 1
    while j < len(lines) and _in_annex_list(lines[j]):
        j += 1
    return j


def mark_annex_titles(lines: list[Line]) -> list[str]:
    """Read the annex list (`附件：1. …`, or a table of contents) and mark where each annex begins.

    Some annexes start with `附件 N`, others only with their title, so titles are the anchor.
    Marked lines are never merged by the page-break reflow.
    """
    titles: list[str] = []
    listed: set[int] = set()
    for i, line in enumerate(lines):
        if line.kind is not LineKind.ANNEX_LIST:
            continue
        j = _annex_list_end(lines, i)
        for entry in lines[i:j]:
            if (title := _entry_title(entry)) and title not in titles:
                titles.append(title)
        listed.update(range(i, j))
    for i, line in enumerate(lines):
        if i not in listed and line.kind is LineKind.BODY and compact(line.text.text) in titles:
            line.kind = LineKind.ANNEX_TITLE
    return titles


def _header_end(lines: list[Line], plan_title: str) -> int:
    """Index of the first line of the plan or regulation itself."""
    title = compact(plan_title)
    for i, line in enumerate(lines[1:], start=1):
        text = compact(line.text.text)
        if line.kind in (LineKind.ANNEX_MARK, LineKind.ANNEX_TITLE) or (len(text) >= 8 and title.startswith(text)):
            return i
        if line.kind is LineKind.TABLE and not any(seen.kind is LineKind.ANNEX_LIST for seen in lines[:i]):
            return i  # a table is never part of a header, unless a list of annexes continues in it (004)
        if CONTENTS.match(text):
            return i
        level = heading_level(line.text.text) if line.kind is LineKind.HEADING else None
        if level is HeadingLevel.TOPIC or is_legal(level):
            return i
    return len(lines)


def _contents_end(lines: list[Line], start: int) -> int:
    """Index after the table of contents whose `目录` line is at `start`: short title lines, often with dot
    leaders and page numbers (`一、部门主要职能 ……… 3`), up to where the first entry comes again as the real
    heading, or else up to the last line with dot leaders."""
    first: str | None = None
    last_leader = start
    for j in range(start + 1, len(lines)):
        text = lines[j].text.text
        entry = compact(DOT_LEADER.sub("", text))
        if first is None:
            first = entry
        elif entry == first:
            return j
        if LEADER.search(text):
            last_leader = j
        elif len(entry) > 50 or re.search(r"[。；;，,]", entry):
            break
    return last_leader + 1


@dataclass(frozen=True)
class _ContentsEntry:
    level: HeadingLevel
    label: str  # the entry as the section path shows it: `四、部门预算编制说明`
    title: str  # without its number: `部门预算编制说明`


def _contents_entries(lines: list[Line]) -> list[_ContentsEntry]:
    """The numbered entries of a table of contents, in order (`4．2026年…` too, which a body line would not
    take for a heading: a figure follows its number)."""
    entries = []
    for line in lines:
        entry = compact(DOT_LEADER.sub("", line.text.text))
        number = PLAN_NUMBER.match(entry)
        level = heading_level(f"{number.group(0)} …") if number else None
        if level is not None and not is_legal(level):
            entries.append(_ContentsEntry(level, entry, entry[number.end():]))
    return entries


def _names_entry(text: str, title: str) -> bool:
    """Does a body line name a contents entry: end with most of its title, and be a title itself?"""
    line = compact(text)
    if len(line) > CONTENTS_TITLE_MAX or re.search(r"[。；;，,：:]", line):
        return False
    shared = len(os.path.commonprefix([line[::-1], title[::-1]]))
    return shared >= max(2, CONTENTS_MATCH * len(title))


def _division_title(lines: list[Line], i: int) -> Line | None:
    """The title line below a bare `第二章` (a chapter whose title is on the next line)."""
    text = lines[i].text.text
    level = heading_level(text)
    if not is_legal(level) or level is HeadingLevel.ARTICLE or compact(text) != legal_marker(text):
        return None
    following = lines[i + 1] if i + 1 < len(lines) else None
    return following if following and following.kind is LineKind.BODY and _title_only(following) else None


def _is_list_item(line: Line, pending: list[Line], following: Line | None = None) -> bool:
    """`（一）总建筑面积不大于 10000 平方米；` after `…条件的项目：` is an enumeration, not a section;
    so is every item after it up to the one that ends the list with `。`. A first item that ends with `。`
    and is followed by its sibling (`（二）…`) opens a list of sections instead."""
    if not pending:
        return False
    text, previous = line.text.text, pending[-1].text.text
    if previous[-1] in "：:":
        sibling = following is not None and following.kind is LineKind.HEADING \
            and heading_level(following.text.text) == heading_level(text)
        return (text[-1] in "；;" or text[-1] == "。" and not sibling) and len(text) < 80
    # the item after a `；` item: as long as it needs (a page break may have joined its tail)
    return previous[-1] in "；;" and _is_list_item(pending[-1], pending[:-1])


class _DocumentParser:
    def __init__(self, document: Document, source: str, max_chars: int) -> None:
        self.document = document
        self.source = source
        self.max_chars = max_chars
        self.passages: list[Passage] = []
        self.covered = bytearray(len(source))
        self.line_index = LineIndex(source)
        self.root = _Frame(HeadingLevel.DOCUMENT, document.title, Section(document.title, 0, 1))
        self.stack: list[_Frame] = [self.root]
        self.pending: list[Line] = []
        self.table_header: Header | None = None
        self.table_caption: MappedText | None = None
        self.continues_item = False  # pending is a further task of the current numbered item
        self.annex_titles: list[str] = []
        self.annex_number = 0
        self.inner_lists: dict[HeadingLevel, int] = {}  # level → next number of a list restarted inside a section
        # The table of contents' entries not yet met in the body: a PDF's body headings often lack the
        # numbers the contents give them (`名词解释` for `三、名词解释`).
        self.contents: list[_ContentsEntry] = []

    # -- emitting passages -------------------------------------------------------------
    def cover(self, text: MappedText) -> None:
        for offset in text.offsets:
            self.covered[offset] = 1

    def add(self, kind: PassageKind, text: str, cited: MappedText,
            fields: ClauseFields = NO_FIELDS, term: str | None = None) -> None:
        start, end = cited.span
        passage = Passage(
            passage_id=f"{self.document.doc_id}#{start}",
            doc_id=self.document.doc_id,
            kind=kind,
            text=text,
            section_path=tuple(frame.label for frame in self.stack),
            source=SourceSpan(self.document.file, self.line_index.line_of(start),
                              self.line_index.line_of(end - 1), start, end),
            lead=fields.lead,
            responsible=fields.responsible,
            cooperate=fields.cooperate,
            deadline=fields.deadline,
            term=term,
        )
        self.passages.append(passage)
        self.stack[-1].section.passage_ids.append(passage.passage_id)
        self.cover(cited)
        # A heading reaches the reader through the section paths only as far as its label shows it;
        # longer headings are covered by the passage that holds their text.
        for frame in self.stack:
            if frame.heading is not None and _shown_in_label(frame.heading, frame.label):
                self.cover(frame.heading.text)

    def add_block(self, kind: PassageKind, lines: list[Line]) -> None:
        """A clause or paragraph group, split when long; every part keeps the clause's fields."""
        text = MappedText.join([line.text for line in lines], sep="\n")
        fields = extract_fields(text.text)
        # an article's paragraphs and items are cut between lines where they can be: each part reads whole
        by_line = self.stack[-1].level is HeadingLevel.ARTICLE
        for part in split_passage_text(text, self.max_chars, by_line):
            self.add(kind, part.text, part, fields)

    def pending_in_item(self) -> bool:
        """Do the pending lines belong to a numbered item (its heading, or a further task of it)?"""
        frame = self.stack[-1]
        return frame.level >= HeadingLevel.PART and bool(self.pending) \
            and (self.pending[0] is frame.heading or self.continues_item)

    def flush(self) -> None:
        """Emit the lines gathered under the current heading."""
        numbered = self.pending_in_item()
        pending, self.pending, self.continues_item = self.pending, [], False
        if not pending:
            return
        if not numbered:
            self.add_block(PassageKind.TEXT, pending)
        elif len(pending) > 1 or not _title_only(pending[0]) or not _shown_in_label(pending[0], self.stack[-1].label):
            self.add_block(PassageKind.CLAUSE, pending)
        # a bare heading waits: its children carry it in their section paths, or close_sections emits it

    def start_next_task(self, line: Line) -> None:
        """A paragraph after an item's 责任单位 / 时间节点 lines is the item's next task, with fields of its own."""
        in_item = self.pending_in_item()
        self.flush()
        self.pending, self.continues_item = [line], in_item

    def close_sections(self, level: int) -> None:
        """Leave the sections at `level` and deeper. A numbered one left with no passage and no subsection
        keeps its heading as a clause of its own (`（一）加强组织领导。` followed by `（二）…`); an empty annex
        (`附录1` over a form a PDF lost) keeps its mark as text."""
        while self.stack[-1].level >= level:
            frame = self.stack[-1]
            if frame.heading is not None and not frame.section.passage_ids and not frame.section.children:
                kind = PassageKind.TEXT if frame.level is HeadingLevel.ANNEX else PassageKind.CLAUSE
                self.add_block(kind, [frame.heading])
            self.stack.pop()

    def open_section(self, level: int, label: str, heading: Line) -> None:
        self.flush()
        self.close_sections(level)
        section = Section(label, level, heading.number)
        self.stack[-1].section.children.append(section)
        self.stack.append(_Frame(level, label, section, heading, plan_number(heading.text.text)))
        self.inner_lists = {lvl: n for lvl, n in self.inner_lists.items() if lvl < level}

    def in_inner_list(self, text: str) -> bool:
        """`一、` while `三、` is open, with no heading above it in between: a list inside the section (the
        rows of a table a PDF turned into lines), not new sections. It runs while its numbers follow on;
        `四、` after the list's `一、 二、` is the section after `三、` again."""
        level, number = heading_level(text), plan_number(text)
        if level is None or number is None or is_legal(level):
            return False
        if self.inner_lists.get(level) == number:
            self.inner_lists[level] = number + 1
            return True
        self.inner_lists.pop(level, None)
        open_here = next((frame for frame in self.stack if frame.level == level), None)
        if number == 1 and open_here is not None and (open_here.number or 0) > 1:
            self.inner_lists[level] = 2
            return True
        return False

    # -- reading lines -----------------------------------------------------------------
    def parse(self) -> ParsedDocument:
        cleaned = clean_lines(self.source)
        self.annex_titles = mark_annex_titles(cleaned.lines)
        lines = reflow(cleaned.lines)
        body_start = _header_end(lines, self.document.title)
        self.read_header(lines[:body_start])
        i = body_start
        while i < len(lines):
            i = self.read_line(lines, i)
        self.flush()
        self.close_sections(HeadingLevel.ANNEX)
        coverage = _coverage(self.source, self.covered, cleaned.dropped)
        return ParsedDocument(self.document, self.passages, self.root.section, coverage)

    def read_header(self, header: list[Line]) -> None:
        list_at = next((i for i, line in enumerate(header) if line.kind is LineKind.ANNEX_LIST), len(header))
        if header[:list_at]:
            self.add_block(PassageKind.HEADER, header[:list_at])
        if header[list_at:]:
            self.add_block(PassageKind.TEXT, header[list_at:])

    def read_line(self, lines: list[Line], i: int) -> int:
        """Place line i; returns the index of the next unread line."""
        line = lines[i]
        text = line.text.text
        match line.kind:
            case LineKind.ANNEX_MARK:
                mark = ANNEX_MARK.match(text)
                number = int(mark.group(2)) if mark.group(2) else self.annex_number + 1
                has_title = i + 1 < len(lines) and lines[i + 1].kind in (LineKind.ANNEX_TITLE, LineKind.BODY) \
                    and _title_only(lines[i + 1])
                heading = _merge(line, lines[i + 1]) if has_title else line
                title = compact(lines[i + 1].text.text) if has_title else self._listed_title(number)
                self.open_annex(number, title, heading, mark.group(1))
                return i + 2 if has_title else i + 1
            case LineKind.ANNEX_TITLE:
                self.open_annex(self.annex_titles.index(compact(text)) + 1, compact(text), line)
            case LineKind.ANNEX_LIST:
                j = _annex_list_end(lines, i)
                self.add_closing(lines[i:j])  # the list of annexes belongs to the notice, not to its last item
                return j
            case LineKind.HEADING if not _is_list_item(line, self.pending, _next(lines, i)) \
                    and not self.in_article(text) \
                    and not self.in_inner_list(text):
                if (title := _division_title(lines, i)) is not None:
                    heading = _merge(line, title)
                    self.open_section(heading_level(text), f"{legal_marker(text)} {compact(title.text.text)}", heading)
                    self.pending = [heading]
                    return i + 2
                self.open_section(heading_level(text) or HeadingLevel.SUBPOINT, heading_label(text), line)
                self.pending = [line]
            case LineKind.TABLE:
                return self.read_table(lines, i)
            case LineKind.FOOTNOTE:
                # A footnote sits at a page foot, often inside a clause: emit it without closing the clause.
                term = FOOTNOTE.match(text)
                self.add(PassageKind.DEFINITION, text, line.text, term=term.group(1) if term else None)
            case LineKind.NOTE:
                self.flush()
                self.add_block(PassageKind.DEFINITION if "是指" in text else PassageKind.TEXT, [line])
            case LineKind.RAW:
                self.flush()
                self.add_block(PassageKind.TEXT, [line])
            case LineKind.COLOPHON:
                j = i + 1
                while j < len(lines) and lines[j].kind in (LineKind.COLOPHON, LineKind.DATE):
                    j += 1
                self.add_closing(lines[i:j], HeadingLevel.ANNEX)  # 版记 closes the whole document
                return j
            case LineKind.DATE if _ends_a_part(self.pending, self.stack[-1].heading, _next(lines, i)):
                signature = _take_signature(self.pending, self.stack[-1].heading)
                self.add_closing([*signature, line])
            case LineKind.BODY if CONTENTS.match(compact(text)):
                self.flush()
                j = _contents_end(lines, i)
                self.add_block(PassageKind.TEXT, lines[i:j])
                self.contents = _contents_entries(lines[i + 1 : j])
                return j
            case LineKind.BODY if headings := self.contents_headings(text):
                for entry in headings:
                    self.open_section(entry.level, entry.label, line)
                self.pending = [line]
            case LineKind.BODY if self.pending and self.pending[-1].kind is LineKind.FIELD:
                self.start_next_task(line)
            case _:
                self.pending.append(line)
        return i + 1

    def contents_headings(self, text: str) -> list[_ContentsEntry]:
        """The entry of the contents this body line names, looked for in the contents' order (entries
        skipped over are not looked for again), after the skipped ones that hold it: `五、部门预算表` over
        `1. 2026年部门财务收支预算总表`, whose body repeats only the table's title."""
        for k, entry in enumerate(self.contents):
            if _names_entry(text, entry.title):
                skipped, self.contents = self.contents[:k], self.contents[k + 1 :]
                held_by: list[_ContentsEntry] = []
                for earlier in reversed(skipped):
                    if earlier.level < (held_by[0] if held_by else entry).level:
                        held_by.insert(0, earlier)
                return [*held_by, entry]
        return []

    def in_article(self, text: str) -> bool:
        """Is this plan-style heading (（一）, 1., 一、) an item of the article being read?"""
        level = heading_level(text)
        return self.stack[-1].level is HeadingLevel.ARTICLE and level is not None and level > HeadingLevel.ARTICLE

    def add_closing(self, lines: list[Line], level: HeadingLevel = HeadingLevel.PART) -> None:
        """A signature, a list of annexes or the end matter: text of the document (or of its annex, unless
        `level` closes that too), not of the clause above."""
        self.flush()
        self.close_sections(level)
        self.add_block(PassageKind.TEXT, lines)

    def _listed_title(self, number: int) -> str:
        return self.annex_titles[number - 1] if 0 < number <= len(self.annex_titles) else ""

    def open_annex(self, number: int, title: str, heading: Line, word: str = "附件") -> None:
        if self.stack[-1:] and self.annex_number == number and len(self.stack) > 1 and not self.pending \
                and self.stack[-1].level == HeadingLevel.ANNEX:
            self.cover(heading.text)  # the title line right after its `附件 N` mark
            return
        self.annex_number = number
        self.open_section(HeadingLevel.ANNEX, f"{word}{number} {title}".strip(), heading)
        self.table_header, self.table_caption = None, None

    def read_table(self, lines: list[Line], i: int) -> int:
        j = i
        while j < len(lines) and lines[j].kind is LineKind.TABLE:
            j += 1
        caption_lines = _take_caption(self.pending)
        self.flush()
        caption = MappedText.join([c.text for c in caption_lines], sep=" ") if caption_lines else None
        previous = self.table_header
        self.table_header, rows = parse_table(lines[i:j], previous)
        if caption is None and self.table_header is previous:
            caption = self.table_caption  # a table continued after a page break keeps its caption and unit
        self.table_caption = caption
        for row in rows:
            self.add(PassageKind.TABLE_ROW, row_text(row, caption), row.line.text, extract_column_fields(row.pairs))
            for header_line in row.header_lines:
                self.cover(header_line.text)
            if caption:
                self.cover(caption)
        return j


def parse_document(document: Document, source: str, max_chars: int = DEFAULT_MAX_CHARS) -> ParsedDocument:
    return _DocumentParser(document, source, max_chars).parse()


def _next(lines: list[Line], i: int) -> Line | None:
    return lines[i + 1] if i + 1 < len(lines) else None


def _merge(first: Line, second: Line) -> Line:
    return Line(first.number, second.kind, MappedText.join([first.text, second.text], sep="\n"))


def _ends_a_part(pending: list[Line], heading: Line | None, following: Line | None) -> bool:
    """Is a date on its own line the end of a signed notice (or annex), rather than a date in a list?
    It is when issuer lines sign above it, or when the document, an annex or the end matter follows."""
    ends = following is None or following.kind in (LineKind.ANNEX_MARK, LineKind.ANNEX_LIST, LineKind.ANNEX_TITLE,
                                                   LineKind.COLOPHON)
    return ends or bool(_take_signature(list(pending), heading))


def _take_signature(pending: list[Line], heading: Line | None) -> list[Line]:
    """The issuer lines right above a date line (`广州市医疗保障局 广州市财政局`)."""
    signature: list[Line] = []
    while pending and len(signature) < SIGNATURE_MAX and pending[-1] is not heading \
            and pending[-1].kind is LineKind.BODY and len(pending[-1].text) <= 40 \
            and not re.search(r"[，。；：,;:]", pending[-1].text.text):
        signature.insert(0, pending.pop())
    return signature


def _take_caption(pending: list[Line]) -> list[Line]:
    """Up to two short lines right before a table (`表 1：…对比表`, `单位：工作日`)."""
    caption: list[Line] = []
    while pending and len(caption) < 2 and _title_only(pending[-1]) and pending[-1].kind is LineKind.BODY:
        caption.insert(0, pending.pop())
    return caption


def _coverage(source: str, covered: bytearray, dropped: list[tuple[int, int]]) -> float:
    excluded = bytearray(len(source))
    for start, end in dropped:
        excluded[start:end] = b"\x01" * (end - start)
    total = hit = 0
    for offset, char in enumerate(source):
        if char.isspace() or excluded[offset]:
            continue
        total += 1
        hit += covered[offset]
    return hit / total if total else 1.0
