"""Persistence: mismatch detection, atomic builds, incremental re-embedding (real model, small corpus)."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index.dense import EncoderConfig
from index.retriever import Retriever, RetrieverConfig
from index.store import IndexMismatch, check_compatible, corpus_fingerprint, file_digest, load_index
from qa.config import Settings
from tests.index.conftest import load_small, make_small_corpus
from tests.index.interrupt import kill_build_midway


@pytest.fixture
def config(tmp_path: Path) -> RetrieverConfig:
    return dataclasses.replace(Settings().retriever_config(), index_dir=tmp_path / "index")


def test_index_from_other_documents_is_rejected_and_rebuilt(tmp_path: Path, config: RetrieverConfig,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    docs_a, manifest_a = make_small_corpus(tmp_path / "a", ("000_b1277f30adcb0d72",))
    docs_b, manifest_b = make_small_corpus(tmp_path / "b", ("001_33bcc779efdaa487",))
    corpus_a, corpus_b = load_small(docs_a, manifest_a), load_small(docs_b, manifest_b)
    built = Retriever.open(config, corpus=corpus_a)
    assert set(built.documents) == {"000_b1277f30adcb0d72"}

    with pytest.raises(IndexMismatch, match="other documents"):
        check_compatible(built.stored.manifest, corpus_fingerprint(corpus_b), built.encoder.model_id)
    with caplog.at_level("WARNING"):
        reopened = Retriever.open(config, corpus=corpus_b)
    assert "other documents" in caplog.text
    assert set(reopened.documents) == {"001_33bcc779efdaa487"}


def test_index_from_another_model_is_rejected(config: RetrieverConfig, small_corpus: tuple[Path, Path]) -> None:
    retriever = Retriever.open(config, corpus=load_small(*small_corpus))
    with pytest.raises(IndexMismatch, match="model"):
        check_compatible(retriever.stored.manifest, retriever.stored.manifest["corpus_hash"], "another-model|x")


def test_failed_build_leaves_the_previous_index_whole(config: RetrieverConfig, small_corpus: tuple[Path, Path]) -> None:
    corpus = load_small(*small_corpus)
    before = Retriever.open(config, corpus=corpus)
    broken = dataclasses.replace(config, encoder=EncoderConfig(model=str(config.index_dir.parent / "no-such-model")))
    with pytest.raises(FileNotFoundError):
        Retriever.open(broken, corpus=corpus, rebuild=True)
    after = load_index(config.index_dir)
    assert after.manifest == before.stored.manifest
    assert not list(config.index_dir.parent.glob(".index.build-*")), "the failed build's folder is removed"
    assert Retriever.open(config, corpus=corpus).search("高压用户报装时限").hits


BUILD_SCRIPT = """
import sys, dataclasses
from pathlib import Path
from corpus.documents import load_corpus
from index.retriever import Retriever
from qa.config import Settings
config = dataclasses.replace(Settings().retriever_config(), index_dir=Path(sys.argv[1]))
Retriever.open(config, corpus=load_corpus(Path(sys.argv[2]), Path(sys.argv[3]), library_root=Path(sys.argv[2]).parent / 'library'), rebuild=True)
"""


def test_killed_build_leaves_the_previous_index_usable(tmp_path: Path, config: RetrieverConfig) -> None:
    documents, manifest = make_small_corpus(tmp_path / "corpus", ("003_4d324785fef10595",))
    small_docs, small_manifest = make_small_corpus(tmp_path / "small", ("001_33bcc779efdaa487",))
    Retriever.open(config, corpus=load_small(small_docs, small_manifest))
    old_manifest = load_index(config.index_dir).manifest

    # A rebuild over a larger document, killed while it embeds (its stage folder exists).
    kill_build_midway(BUILD_SCRIPT, [str(config.index_dir), str(documents), str(manifest)],
                      lambda: bool(list(config.index_dir.parent.glob(".index.build-*"))))

    survivor = load_index(config.index_dir)
    assert survivor.manifest == old_manifest
    retriever = Retriever.open(config, corpus=load_small(small_docs, small_manifest))
    assert retriever.stored.manifest == old_manifest, "the old index is still current for its corpus"
    assert retriever.search("营商环境").hits


def test_rebuild_after_editing_one_document_embeds_only_changed_passages(
        config: RetrieverConfig, small_corpus: tuple[Path, Path]) -> None:
    documents, manifest = small_corpus
    first = Retriever.open(config, corpus=load_small(documents, manifest))
    unchanged = Retriever.open(config, corpus=load_small(documents, manifest), rebuild=True)
    assert unchanged.stored.manifest["embedded"] == 0
    assert unchanged.stored.manifest["reused"] == len(first.passages)

    edited = documents / "001_33bcc779efdaa487.txt"
    text = edited.read_text(encoding="utf-8")
    assert "推广应用政务服务“豫事办”" in text
    edited.write_text(text.replace("推广应用政务服务“豫事办”", "推广应用政务服务“豫事办”和“平安鹰城”"), encoding="utf-8")
    corpus = load_small(documents, manifest)
    old_texts = {p.text for p in first.passages}
    changed = [p for p in corpus.passages if p.text not in old_texts]
    assert 1 <= len(changed) <= 2

    rebuilt = Retriever.open(config, corpus=corpus)
    assert rebuilt.stored.manifest["embedded"] == len(changed)
    assert rebuilt.stored.manifest["reused"] == len(corpus.passages) - len(changed)
    hits = rebuilt.search("推广应用政务服务豫事办和平安鹰城", top_k=5).hits
    assert changed[0].text in {hit.passage.text for hit in hits}


def test_manifest_records_what_the_index_was_built_from(config: RetrieverConfig,
                                                       small_corpus: tuple[Path, Path]) -> None:
    retriever = Retriever.open(config, corpus=load_small(*small_corpus))
    manifest = json.loads((config.index_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["corpus_hash"] == corpus_fingerprint(load_small(*small_corpus))
    assert manifest["model_id"] == retriever.encoder.model_id
    assert {"sentence-transformers", "faiss-cpu", "jieba", "rank-bm25"} <= set(manifest["versions"])
    assert manifest["settings"]["max_chars"] == config.max_chars


# ---------------------------------------------------------------------------------------------
# verified files, leftovers of killed builds, resumed embeddings, builds that take turns


def test_tampered_passage_file_is_never_served(config: RetrieverConfig, small_corpus: tuple[Path, Path],
                                               caplog: pytest.LogCaptureFixture) -> None:
    corpus = load_small(*small_corpus)
    Retriever.open(config, corpus=corpus)
    stored = config.index_dir / "passages.jsonl"
    text = stored.read_text(encoding="utf-8")
    figure = re.search(r"(\d+)个工作日", text)
    assert figure, "the small corpus states a deadline in working days"
    tampered = text[:figure.start(1)] + str(int(figure.group(1)) + 70) + text[figure.end(1):]
    stored.write_text(tampered, encoding="utf-8")

    with pytest.raises(IndexMismatch, match="passages.jsonl"):
        load_index(config.index_dir)
    with caplog.at_level("WARNING"):
        reopened = Retriever.open(config, corpus=corpus)
    assert "passages.jsonl does not match" in caplog.text
    assert [p.text for p in reopened.passages] == [p.text for p in corpus.passages]
    assert reopened.stored.manifest["embedded"] == 0, "the intact embeddings were reused"


def test_document_path_leaving_the_documents_folder_is_refused(config: RetrieverConfig,
                                                              small_corpus: tuple[Path, Path]) -> None:
    Retriever.open(config, corpus=load_small(*small_corpus))
    documents_file = config.index_dir / "documents.json"
    documents = json.loads(documents_file.read_text(encoding="utf-8"))
    documents[0]["file"] = "../../qa/config.py"
    documents_file.write_text(json.dumps(documents, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(IndexMismatch, match="documents.json does not match"):
        load_index(config.index_dir)
    # Even with a checksum forged to match, the path itself is refused.
    manifest_file = config.index_dir / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    manifest["files"]["documents.json"] = file_digest(documents_file)
    manifest_file.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexMismatch, match="outside the documents folder"):
        load_index(config.index_dir)


def test_build_killed_while_embedding_is_cleared_and_resumed(tmp_path: Path, config: RetrieverConfig) -> None:
    documents, manifest = make_small_corpus(tmp_path / "corpus", ("003_4d324785fef10595",))
    chunks = config.index_dir.parent / ".index.embeddings"
    # killed once some of its vectors are saved
    kill_build_midway(BUILD_SCRIPT, [str(config.index_dir), str(documents), str(manifest)],
                      lambda: bool(list(chunks.glob("*.npz"))), timeout=300, settle=0.0)
    assert list(config.index_dir.parent.glob(".index.build-*")), "the kill left a stage folder"
    saved = sum(len(np.load(chunk)["keys"]) for chunk in chunks.glob("*.npz"))

    retriever = Retriever.open(config, corpus=load_small(documents, manifest))
    assert not list(config.index_dir.parent.glob(".index.build-*")), "the next build removed the stage folder"
    assert retriever.stored.manifest["embedded"] <= len(retriever.passages) - saved, "saved vectors were reused"
    assert retriever.stored.manifest["reused"] >= saved > 0
    assert not chunks.exists(), "the resume cache is emptied once the index is built"


def test_concurrent_builds_of_one_folder_take_turns(tmp_path: Path, config: RetrieverConfig) -> None:
    documents, manifest = make_small_corpus(tmp_path / "corpus", ("001_33bcc779efdaa487",))
    command = [sys.executable, "-c", BUILD_SCRIPT, str(config.index_dir), str(documents), str(manifest)]
    builds = [subprocess.Popen(command, cwd=Path(__file__).parents[2], stderr=subprocess.PIPE, text=True)
              for _ in range(2)]
    logs = [build.communicate(timeout=600)[1] for build in builds]
    assert [build.returncode for build in builds] == [0, 0], logs
    assert sum("waiting for another build" in log for log in logs) == 1, logs
    manifest_now = load_index(config.index_dir).manifest
    assert manifest_now["embedded"] == 0, "the second build found the first one's vectors"
