"""No text of a plan is lost: the parser's own coverage, and an independent recount."""

from __future__ import annotations

import re

import pytest

from corpus import parser
from corpus.models import PassageKind
from corpus.parser import parse_document
from tests.corpus.helpers import ALL_DOCS, D004, PAGE_NUMBER_LINE, SOURCE_MARKUP, TABLE_SEPARATOR_LINE, norm

MIN_COVERAGE = 0.995
# Sentence-ish pieces of a source line: a long clause is only ever split after one of these marks, or
# (a line of figures from a PDF table, with no marks at all) between words.
PIECE = re.compile(r"[^。！？；!?;，,、\s]+[。！？；!?;，,、]*")


@pytest.mark.parametrize("doc_id", ALL_DOCS)
def test_parser_coverage(parsed, doc_id):
    assert parsed[doc_id].coverage >= MIN_COVERAGE


@pytest.mark.parametrize("max_chars", [400, 120])
def test_parser_coverage_with_smaller_limits(corpus, max_chars):
    for doc_id, doc in corpus.documents.items():
        assert parse_document(doc, corpus.text_of(doc_id), max_chars).coverage == 1.0, doc_id


def test_parser_coverage_notices_a_lost_clause_part(corpus, monkeypatch):
    """The parser's own coverage is not vacuous. `parts[-2] += parts.pop()` once lost the first part of
    004 `3、加大国省干线…` (line 3106) at max_chars=400, a part lying wholly in the item's long heading line;
    coverage stayed 1.0 because every heading line counted as covered. Replay that loss: it must show."""
    split = parser.split_passage_text

    def lossy(text, max_chars, by_line=False):
        parts = split(text, max_chars, by_line)
        return parts[1:] if text.text.startswith("3、加大国省干线") else parts

    monkeypatch.setattr(parser, "split_passage_text", lossy)
    parsed = parse_document(corpus.documents[D004], corpus.text_of(D004), max_chars=400)
    assert not any(p.text.startswith("3、加大国省干线") for p in parsed.passages)  # the loss did happen
    assert parsed.coverage < 1.0


def recount_coverage(source: str, passages) -> tuple[float, list[tuple[int, str]]]:
    """Share of the source's non-whitespace plan text found in the passages, counted per piece.

    Each piece of each source line (page numbers, `■`, markdown `#`/`**`/`- ` and table markup
    left out) must appear, after NFKC and whitespace removal, inside a passage whose cited line
    range includes that line; table cells may be found in any table-row passage (headers repeat),
    captions in a table row just below; headings count as found when they label a section.
    """
    texts = [(p, norm(p.text)) for p in passages]
    rows = [text for p, text in texts if p.kind is PassageKind.TABLE_ROW]
    labels = {norm(label) for p in passages for label in p.section_path}
    total = found = 0
    missing: list[tuple[int, str]] = []
    for number, raw in enumerate(source.split("\n"), start=1):
        if not raw.strip() or PAGE_NUMBER_LINE.match(raw) or TABLE_SEPARATOR_LINE.match(raw):
            continue
        near = [text for p, text in texts if p.source.line_start <= number <= p.source.line_end]
        if raw.lstrip().startswith("|"):
            pieces = [norm(cell) for cell in raw.split("|")]
            pool = near + rows
        else:
            pieces = [norm(piece) for piece in PIECE.findall(SOURCE_MARKUP.sub("", raw))]
            pool = near + [text for p, text in texts
                           if p.kind is PassageKind.TABLE_ROW and 0 < p.source.line_start - number <= 12]
        for piece in pieces:
            if not piece:
                continue
            total += len(piece)
            if any(piece in text for text in pool) or any(piece.rstrip("。；：;:") in label for label in labels):
                found += len(piece)
            else:
                missing.append((number, piece))
    return (found / total if total else 1.0), missing


@pytest.mark.parametrize("doc_id", ALL_DOCS)
def test_independent_coverage(sources, passages_of, doc_id):
    share, missing = recount_coverage(sources[doc_id], passages_of[doc_id])
    assert share >= MIN_COVERAGE, missing[:10]


def test_recount_notices_a_lost_passage(sources, passages_of):
    """The recount is not vacuous: dropping one clause of 000 is seen."""
    passages = [p for p in passages_of["000_b1277f30adcb0d72"] if "方便企业获得电力" not in p.text]
    share, missing = recount_coverage(sources["000_b1277f30adcb0d72"], passages)
    assert share < 0.98
    assert any(number == 93 for number, _ in missing)
