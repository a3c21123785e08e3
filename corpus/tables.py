"""Markdown tables from PDF extraction, turned into rows that each carry their header.

PDF tables arrive broken: a table continued after a page break repeats an empty header,
multi-row headers put their second row after the `|---|` separator.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from itertools import combinations

from corpus.lines import Line
from corpus.mapped_text import MappedText

SEPARATOR = re.compile(r"^\|[\s\-:|]+\|$")
NO_VALUE = re.compile(r"^[—\-–/\\]*$")  # `——`, `-`, `/`, an empty cell: fits any column
MAX_COLUMNS = 16  # span inference tries every split of the columns among the top header cells


@dataclass(frozen=True)
class TableRow:
    header: str  # `| 指标 | 现状水平 | … |`, merged over header rows
    line: Line  # the row as in the source
    header_lines: tuple[Line, ...]  # the source lines the header came from
    pairs: tuple[tuple[str, str], ...] = ()  # (header cell, value) when the row fills every column


@dataclass(frozen=True)
class Group:
    """A header cell spanning several data columns (`统筹基金最高支付限额` over 职工医保 / 城乡居民医保)."""

    start: int
    end: int  # exclusive
    name: str


@dataclass(frozen=True)
class Header:
    cells: tuple[str, ...]
    lines: tuple[Line, ...]
    groups: tuple[Group, ...] = ()
    signatures: tuple[str | None, ...] = ()  # what the data of each column looks like

    def render(self) -> str:
        return "| " + " | ".join(self.cells) + " |"


def cells(line: Line) -> list[str]:
    return [cell.strip() for cell in line.text.text.strip().strip("|").split("|")]


def _merge_header(rows: list[list[str]]) -> tuple[str, ...]:
    """Column-wise merge; a cell spanning columns (`各环节办理时间`) fills the empty ones to its right."""
    width = max(len(row) for row in rows)
    merged = [""] * width
    for row in rows:
        carried = ""
        for i in range(width):
            cell = row[i] if i < len(row) else ""
            if cell:
                carried = cell
            elif i > 0 and row is rows[0] and any(len(r) > i and r[i] for r in rows[1:]):
                cell = carried  # a group heading over sub-headings
            if cell and cell not in merged[i].split("/"):
                merged[i] = f"{merged[i]}/{cell}" if merged[i] else cell
    return tuple(merged)


def _looks_like_header(row: list[str], header_rows: list[list[str]], width: int) -> bool:
    """A row after the separator that continues the header: no figures, and a gap above it or fewer
    cells than the data rows (sub-headings under cells that span columns)."""
    if any(re.search(r"\d", cell) for cell in row):
        return False
    first_sparse = sum(1 for c in header_rows[0] if c) * 2 <= len(header_rows[0])
    return not row[0] or first_sparse or len(row) < width


def _signature(cell: str) -> str | None:
    if NO_VALUE.match(cell):
        return None
    if re.fullmatch(r"[\d.,%％]+", cell):
        return "number"
    return "figure" if re.search(r"\d", cell) else "text"


def _column_signatures(rows: list[list[str]], width: int) -> tuple[str | None, ...]:
    """The most common kind of value in each column, over the rows that fill every column."""
    full = [row for row in rows if len(row) == width]
    out: list[str | None] = []
    for i in range(width):
        seen = Counter(sig for row in full if (sig := _signature(row[i])) is not None)
        out.append(seen.most_common(1)[0][0] if seen else None)
    return tuple(out)


def _alike(signatures: tuple[str | None, ...]) -> bool:
    known = {sig for sig in signatures if sig is not None}
    return len(known) <= 1


def _spanned_header(top: list[str], sub: list[str], width: int,
                    signatures: tuple[str | None, ...]) -> tuple[tuple[str, ...], tuple[Group, ...]] | None:
    """Cells and groups of a two-row header whose top row is narrower than the data: some top cells
    span columns, the second row lists their sub-headings (only those, or one cell per column, empty
    under the cells that span nothing). Of the ways to split the columns among the top cells, the one
    whose groups hold alike data wins (amounts under 职工医保 and 城乡居民医保, not a 序号 beside a name)."""
    k = len(top)
    if not 0 < k < width <= MAX_COLUMNS:
        return None
    positional = len(sub) == width
    best: tuple[int, list[int]] | None = None
    for cuts in combinations(range(1, width), k - 1):
        bounds = [0, *cuts, width]
        spans = [bounds[i + 1] - bounds[i] for i in range(k)]
        if positional:
            if any(bool(sub[bounds[i]]) != (spans[i] > 1) or (spans[i] > 1 and not all(sub[bounds[i]:bounds[i + 1]]))
                   for i in range(k)):
                continue
        elif sum(span for span in spans if span > 1) != len(sub):
            continue
        score = sum(1 for i in range(k) if spans[i] > 1 and _alike(signatures[bounds[i] : bounds[i + 1]]))
        if best is None or score > best[0]:
            best = (score, spans)
    if best is None:
        return None
    cells_out: list[str] = []
    groups: list[Group] = []
    subs = iter([cell for cell in sub if cell] if positional else sub)
    for name, span in zip(top, best[1]):
        if span == 1:
            cells_out.append(name)
            continue
        groups.append(Group(len(cells_out), len(cells_out) + span, name))
        cells_out += [f"{name}/{next(subs)}" for _ in range(span)]
    return tuple(cells_out), tuple(groups)


def _row_header(header: Header, row: list[str]) -> str:
    """The header as it lines up with a short row: the groups whose cells the row merged into one
    (`| 41 | 二类 | 重型β地中海贫血 | 3000元/月 | 两年 |`: one amount for both insurance schemes) shown
    by their group name."""
    deficit = len(header.cells) - len(row)
    if deficit <= 0 or not header.groups:
        return header.render()
    best: tuple[int, list[str]] | None = None
    for n in range(1, len(header.groups) + 1):
        for merged in combinations(header.groups, n):
            if sum(g.end - g.start - 1 for g in merged) != deficit:
                continue
            columns: list[tuple[str, tuple[str | None, ...]]] = []
            i = 0
            while i < len(header.cells):
                group = next((g for g in merged if g.start == i), None)
                end = group.end if group else i + 1
                columns.append((group.name if group else header.cells[i], header.signatures[i:end]))
                i = end
            score = sum(1 for cell, (_, sigs) in zip(row, columns)
                        if _signature(cell) is None or _signature(cell) in sigs or not any(sigs))
            if best is None or score > best[0]:
                best = (score, [name for name, _ in columns])
    return "| " + " | ".join(best[1]) + " |" if best else header.render()


def parse_table(lines: list[Line], previous: Header | None) -> tuple[Header, list[TableRow]]:
    """Rows of one table block; `previous` supplies the header of a table cut by a page break."""
    after = [cells(line) for line in lines[next((i for i, l in enumerate(lines) if SEPARATOR.match(l.text.text)),
                                                  len(lines)) + 1 :]]
    width = max((len(row) for row in after if any(row)), default=0)  # short rows merge cells, none adds one
    header_rows: list[list[str]] = []
    header_lines: list[Line] = []
    body: list[Line] = []
    seen_separator = False
    for line in lines:
        if SEPARATOR.match(line.text.text):
            seen_separator = True
        elif not seen_separator:
            header_rows.append(cells(line))
            header_lines.append(line)
        elif not body and header_rows and _looks_like_header(cells(line), header_rows, width):
            header_rows.append(cells(line))
            header_lines.append(line)
        else:
            body.append(line)
    if not seen_separator:  # no header at all: every line is data
        body, header_rows, header_lines = header_lines, [], []

    body_cells = [cells(line) for line in body]
    signatures = _column_signatures(body_cells, width)
    spanned = _spanned_header(*header_rows, width, signatures) if len(header_rows) == 2 else None
    header_cells, groups = spanned or (_merge_header(header_rows) if header_rows else (), ())
    is_continuation = not any(header_cells)
    if is_continuation and previous is not None:
        header = previous
    else:
        header = Header(header_cells, tuple(header_lines), groups, signatures)
    rows = [
        TableRow(_row_header(header, row) if any(header.cells) else "", line, header.lines,
                 tuple(zip(header.cells, row)) if len(row) == len(header.cells) else ())
        for line, row in zip(body, body_cells)
        if any(row)
    ]
    return header, rows


def row_text(row: TableRow, caption: MappedText | None) -> str:
    parts = [caption.text] if caption else []
    if row.header:
        parts.append(row.header)
    parts.append(row.line.text.text)
    return "\n".join(parts)
