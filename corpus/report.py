"""Human-readable views of the parsed corpus: statistics and a document's outline."""

from __future__ import annotations

import statistics
import unicodedata
from collections import Counter

from corpus.documents import Corpus
from corpus.models import PassageKind, Section
from corpus.parser import ParsedDocument


def _width(text: str) -> int:
    """Columns a terminal gives the text: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _table(rows: list[list[str]]) -> str:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths)).rstrip()
                     for row in rows)


def corpus_stats(corpus: Corpus) -> str:
    kinds = list(PassageKind)
    rows = [["document", "region", "year", "type", *map(str, kinds), "total", "mean", "max", "coverage"]]
    for parsed in corpus.parsed.values():
        doc = parsed.document
        counts = Counter(p.kind for p in parsed.passages)
        lengths = [len(p.text) for p in parsed.passages]
        rows.append([doc.doc_id, doc.region or "—", str(doc.year or "—"), doc.doc_type or "—",
                     *(str(counts[k]) for k in kinds),
                     str(len(lengths)), f"{statistics.mean(lengths):.0f}", str(max(lengths)),
                     f"{parsed.coverage:.2%}"])
    lengths = [len(p.text) for p in corpus.passages]
    totals = Counter(p.kind for p in corpus.passages)
    rows.append(["all", "", "", "", *(str(totals[k]) for k in kinds), str(len(lengths)),
                 f"{statistics.mean(lengths):.0f}", str(max(lengths)), ""])
    table = _table(rows)
    q = statistics.quantiles(lengths, n=20)
    return f"{table}\n\npassage length (chars): min {min(lengths)}, p50 {statistics.median(lengths):.0f}, " \
           f"p95 {q[-1]:.0f}, max {max(lengths)}"


def document_outline(parsed: ParsedDocument, with_passages: bool = False) -> str:
    by_id = {p.passage_id: p for p in parsed.passages}
    lines: list[str] = []

    def walk(section: Section, depth: int) -> None:
        lines.append(f"{'  ' * depth}{section.title}  [L{section.line}, {len(section.passage_ids)} passages]")
        if with_passages:
            for pid in section.passage_ids:
                p = by_id[pid]
                extra = "".join([f" {name}:{'、'.join(units)}" for name, units in
                                 (("牵头", p.lead), ("责任", p.responsible), ("配合", p.cooperate)) if units])
                extra += f" 时限:{p.deadline}" if p.deadline else ""
                text = p.text.replace("\n", " ⏎ ")
                lines.append(f"{'  ' * (depth + 1)}- {p.kind} L{p.source.line_start}-{p.source.line_end} "
                             f"({len(p.text)}){extra}: {text[:80]}")
        for child in section.children:
            walk(child, depth + 1)

    walk(parsed.outline, 0)
    return "\n".join(lines)
