"""Shared constants and small text helpers for the corpus-stage tests.

The helpers are written independently of the parser (no imports from corpus.lines or
corpus.mapped_text) so that the tests check the parser rather than restate it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from corpus.models import Passage, PassageKind

D000 = "000_b1277f30adcb0d72"  # 焦作 2019
D001 = "001_33bcc779efdaa487"  # 平顶山 2020
D002 = "002_c2f9416f0347cd68"  # 焦作 2023 (markdown)
D003 = "003_4d324785fef10595"  # 修武县 2021, 15 annexes
D004 = "004_5927b0b89acebc29"  # 三门峡 2022, 21 annexes, tables and footnotes
ALL_DOCS = (D000, D001, D002, D003, D004)

WHITESPACE = re.compile(r"\s+")
# Markdown and PDF debris the parser is expected to drop: `#` headings, `- ` bullets (both at a
# line start), `**bold**`, `<u>` underline tags and the `■` end mark.
SOURCE_MARKUP = re.compile(r"^[ \t]*(?:#+|-(?=[ \t]))[ \t]*|\*\*|■|</?u>", re.M)
PAGE_NUMBER_LINE = re.compile(r"^[-—–\s]*\d{1,3}[-—–\s]*$")
TABLE_SEPARATOR_LINE = re.compile(r"^\s*\|[\s\-:|]+\|\s*$")

PROSE_KINDS = (PassageKind.CLAUSE, PassageKind.TEXT, PassageKind.HEADER, PassageKind.DEFINITION)


def squash(text: str) -> str:
    """Remove all whitespace."""
    return WHITESPACE.sub("", text)


def norm(text: str) -> str:
    """The relevance rule of shared/eval/README.md: NFKC, then remove all whitespace."""
    return squash(unicodedata.normalize("NFKC", text))


def containing(passages: Iterable[Passage], needle: str) -> list[Passage]:
    """Passages whose text contains `needle` under the relevance rule."""
    key = norm(needle)
    return [p for p in passages if key in norm(p.text)]


def only(passages: Iterable[Passage], needle: str) -> Passage:
    found = containing(passages, needle)
    assert len(found) == 1, f"expected exactly one passage with {needle!r}, got {[p.passage_id for p in found]}"
    return found[0]


def markup_mask(source: str) -> bytearray:
    """1 for every source character that is markup/debris rather than text of the plan."""
    mask = bytearray(len(source))
    for match in SOURCE_MARKUP.finditer(source):
        mask[match.start() : match.end()] = b"\x01" * (match.end() - match.start())
    return mask


def cited_text(source: str, mask: bytearray, start: int, end: int) -> str:
    """The source slice without whitespace and without markup/debris."""
    return "".join(char for offset, char in enumerate(source[start:end], start)
                   if not mask[offset] and not char.isspace())


def debris_mask(source: str) -> bytearray:
    """markup_mask, and page-number lines (`- 2 -`, `—7—`) that a PDF puts inside running text."""
    mask = markup_mask(source)
    offset = 0
    for line in source.split("\n"):
        if PAGE_NUMBER_LINE.match(line) and line.strip():
            mask[offset : offset + len(line)] = b"\x01" * len(line)
        offset += len(line) + 1
    return mask


def is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(char in it for char in short)
