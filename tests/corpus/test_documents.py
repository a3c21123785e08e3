"""load_corpus / bundled_corpus / Corpus, and the passage records' round trip."""

from __future__ import annotations

import json
import shutil

import pytest

from corpus.documents import DOCUMENTS_DIR, bundled_corpus, load_corpus
from corpus.models import Passage
from tests.corpus.helpers import ALL_DOCS, D000, D004


def test_bundled_corpus_is_cached_and_complete(corpus):
    assert bundled_corpus() is corpus
    assert list(corpus.documents) == list(ALL_DOCS)
    assert list(corpus.parsed) == list(ALL_DOCS)
    assert len(corpus.passages) == sum(len(p.passages) for p in corpus.parsed.values())
    assert len(corpus.passages) > 900


def test_text_of_reads_the_shipped_file(corpus):
    text = corpus.text_of(D000)
    assert text == (DOCUMENTS_DIR / f"{D000}.txt").read_text(encoding="utf-8")
    assert "焦营商办〔2019〕3号" in text


def test_shared_copy_is_identical():
    shared = DOCUMENTS_DIR.parents[2] / "shared" / "corpus"  # shared/ sits beside the work tree
    if not shared.is_dir():
        pytest.skip("no shared/corpus beside the work tree")
    for doc_id in ALL_DOCS:
        assert (shared / f"{doc_id}.txt").read_bytes() == (DOCUMENTS_DIR / f"{doc_id}.txt").read_bytes()


def test_a_reviewed_entry_without_its_file_is_ignored(tmp_path):
    # the folder is the library: the reviewed record only corrects documents that are there
    shutil.copy(DOCUMENTS_DIR / f"{D000}.txt", tmp_path / f"{D000}.txt")
    small = load_corpus(tmp_path, library_root=tmp_path / "library")
    assert list(small.documents) == [D000]
    assert small.documents[D000].issuer == "焦作市优化营商环境工作领导小组办公室"


def test_load_corpus_from_another_directory(tmp_path):
    shutil.copy(DOCUMENTS_DIR / f"{D000}.txt", tmp_path / f"{D000}.txt")
    small = load_corpus(tmp_path, max_chars=200, library_root=tmp_path / "library")
    assert list(small.documents) == [D000]
    assert max(len(p.text) for p in small.passages) <= 200


def test_passage_dict_round_trip(corpus):
    for passage in corpus.passages:
        data = passage.to_dict()
        assert json.loads(json.dumps(data, ensure_ascii=False)) == data
        assert Passage.from_dict(data) == passage
    sample = corpus.parsed[D004].passages[-1].to_dict()
    assert isinstance(sample["kind"], str) and isinstance(sample["section_path"], list)


def test_document_dict(corpus):
    data = corpus.documents[D004].to_dict()
    assert data["year"] == 2022 and data["county"] is None and data["file"] == f"{D004}.txt"
