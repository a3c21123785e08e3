"""Tables as markdown rows (`| a | b |` with a `|---|` line under the header): the form the parser reads."""

from __future__ import annotations

import re


def clean_cell(text: str) -> str:
    """One line per cell; a `|` inside a cell would split it, so it becomes a full-width bar."""
    return re.sub(r"\s+", " ", text).strip().replace("|", "｜")


def markdown_table(rows: list[list[str]]) -> list[str]:
    """Rows of cell texts → markdown lines; rows padded to the widest, blank rows dropped."""
    rows = [[clean_cell(cell) for cell in row] for row in rows]
    rows = [row for row in rows if any(row)]
    if not rows:
        return []
    width = max(len(row) for row in rows)
    lines = ["| " + " | ".join(row + [""] * (width - len(row))) + " |" for row in rows]
    return [lines[0], "|" + "---|" * width, *lines[1:]]
