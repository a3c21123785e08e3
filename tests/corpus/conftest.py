"""Fixtures: the real bundled corpus, parsed once per test session (bundled_corpus() is cached)."""

from __future__ import annotations

import pytest

from corpus.documents import Corpus, bundled_corpus
from corpus.models import Passage
from corpus.parser import ParsedDocument


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return bundled_corpus()


@pytest.fixture(scope="session")
def parsed(corpus: Corpus) -> dict[str, ParsedDocument]:
    return corpus.parsed


@pytest.fixture(scope="session")
def sources(corpus: Corpus) -> dict[str, str]:
    return {doc_id: corpus.text_of(doc_id) for doc_id in corpus.documents}


@pytest.fixture(scope="session")
def passages_of(parsed: dict[str, ParsedDocument]) -> dict[str, list[Passage]]:
    return {doc_id: doc.passages for doc_id, doc in parsed.items()}
