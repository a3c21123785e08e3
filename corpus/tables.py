"""Markdown tables from PDF extraction, turned into rows that each carry their header.

PDF tables arrive broken: a table continued after a page break repeats an empty header,
multi-row headers put their second row after the `|---|` separator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.lines import Line
from corpus.mapped_text import MappedText

SEPARATOR = re.compile(r"^\|[\s\-:|]+\|$")


@dataclass(frozen=True)
class TableRow:
    header: str  # `| 指标 | 现状水平 | … |`, merged over header rows
    line: Line  # the row as in the source
    header_lines: tuple[Line, ...]  # the source lines the header came from


@dataclass(frozen=True)
class Header:
    cells: tuple[str, ...]
    lines: tuple[Line, ...]

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


def _looks_like_header(row: list[str], header_rows: list[list[str]]) -> bool:
    """A row after the separator that continues the header: no figures, and a gap above it."""
    if any(re.search(r"\d", cell) for cell in row):
        return False
    first_sparse = sum(1 for c in header_rows[0] if c) * 2 <= len(header_rows[0])
    return not row[0] or first_sparse


def parse_table(lines: list[Line], previous: Header | None) -> tuple[Header, list[TableRow]]:
    """Rows of one table block; `previous` supplies the header of a table cut by a page break."""
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
        elif not body and header_rows and _looks_like_header(cells(line), header_rows):
            header_rows.append(cells(line))
            header_lines.append(line)
        else:
            body.append(line)
    if not seen_separator:  # no header at all: every line is data
        body, header_rows, header_lines = header_lines, [], []

    header_cells = _merge_header(header_rows) if header_rows else ()
    is_continuation = not any(header_cells)
    if is_continuation and previous is not None:
        header = previous
    else:
        header = Header(header_cells, tuple(header_lines))
    rows = [
        TableRow(header.render() if any(header.cells) else "", line, header.lines)
        for line in body
        if any(cells(line))
    ]
    return header, rows


def row_text(row: TableRow, caption: MappedText | None) -> str:
    parts = [caption.text] if caption else []
    if row.header:
        parts.append(row.header)
    parts.append(row.line.text.text)
    return "\n".join(parts)
