"""Every document of ../shared (samples and measure, .txt) parses with nothing lost, no passage too long,
and every passage citing its exact source text — the same bars as for the bundled five."""

from __future__ import annotations

import pytest

from corpus.models import PassageKind
from tests.corpus.helpers import PROSE_KINDS, cited_text, markup_mask, squash
from tests.corpus.shared_documents import TITLES, needs_shared, parsed_shared, source_of
from tests.corpus.test_coverage import MIN_COVERAGE, recount_coverage

pytestmark = needs_shared

MAX_PASSAGE = 600


def test_every_shared_text_document_is_listed():
    from tests.corpus.shared_documents import SHARED
    files = {f"{path.parent.name}/{path.name}" for folder in ("samples", "measure")
             for path in (SHARED / folder).glob("*.txt")}
    assert files == set(TITLES)


@pytest.mark.parametrize("name", sorted(TITLES))
def test_coverage(name):
    parsed = parsed_shared(name)
    assert parsed.coverage >= MIN_COVERAGE
    share, missing = recount_coverage(source_of(name), parsed.passages)
    assert share >= MIN_COVERAGE, missing[:10]


@pytest.mark.parametrize("name", sorted(TITLES))
def test_passage_lengths(name):
    for passage in parsed_shared(name).passages:
        assert 0 < len(passage.text) <= MAX_PASSAGE, (passage.passage_id, len(passage.text))
        assert passage.text == passage.text.strip()


@pytest.mark.parametrize("name", sorted(TITLES))
def test_exact_source_spans(name):
    source = source_of(name)
    mask = markup_mask(source)
    for passage in parsed_shared(name).passages:
        span = passage.source
        assert span.line_start == source.count("\n", 0, span.char_start) + 1, passage.passage_id
        assert span.line_end == source.count("\n", 0, span.char_end - 1) + 1, passage.passage_id
        cited = cited_text(source, mask, span.char_start, span.char_end)
        if passage.kind in PROSE_KINDS:
            assert cited == squash(passage.text), (passage.passage_id, passage.text[:40], cited[:40])
        else:
            assert passage.kind is PassageKind.TABLE_ROW and squash(passage.text).endswith(squash(
                source[span.char_start : span.char_end])), passage.passage_id


@pytest.mark.parametrize("name", sorted(TITLES))
def test_outline_lists_every_passage_under_its_path(name):
    parsed = parsed_shared(name)
    by_id = {p.passage_id: p for p in parsed.passages}
    listed = []

    def walk(section, path):
        path = (*path, section.title)
        for pid in section.passage_ids:
            assert by_id[pid].section_path == path, pid
            listed.append(pid)
        for child in section.children:
            assert child.level > section.level
            walk(child, path)

    walk(parsed.outline, ())
    assert sorted(listed) == sorted(by_id)
