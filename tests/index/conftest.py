"""A small corpus (two real documents) in a temporary folder, for tests that build indexes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from corpus.documents import DOCUMENTS_DIR, MANIFEST_PATH, Corpus, load_corpus

SMALL_DOCS = ("000_b1277f30adcb0d72", "001_33bcc779efdaa487")


def make_small_corpus(folder: Path, doc_ids: tuple[str, ...] = SMALL_DOCS) -> tuple[Path, Path]:
    """Copies of real documents and a reviewed record of just them: (documents folder, reviewed record)."""
    documents = folder / "documents"
    documents.mkdir(parents=True)
    manifest = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    manifest["documents"] = {k: v for k, v in manifest["documents"].items() if k in doc_ids}
    for doc_id in manifest["documents"]:
        shutil.copy(DOCUMENTS_DIR / f"{doc_id}.txt", documents / f"{doc_id}.txt")
    manifest_path = folder / "manifest.json"
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return documents, manifest_path


def load_small(documents: Path, reviewed: Path) -> Corpus:
    """The library of a small test folder, its record kept beside the folder (not in .data)."""
    return load_corpus(documents, reviewed, library_root=documents.parent / "library")


@pytest.fixture
def small_corpus(tmp_path: Path) -> tuple[Path, Path]:
    return make_small_corpus(tmp_path / "corpus")


@pytest.fixture(scope="session")
def milvus_retriever(retriever, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN001, ANN201
    """The real index served from Milvus Lite in a temporary file: its vectors come from the stored
    index, so nothing is embedded. Closed (the Lite server stopped, its file unlocked) at the end."""
    import dataclasses

    from index.backend import BackendKind
    from index.retriever import Retriever

    config = dataclasses.replace(retriever.config, backend=BackendKind.MILVUS,
                                 milvus_uri=str(tmp_path_factory.mktemp("milvus") / "milvus.db"))
    milvus = Retriever(retriever.stored, retriever.encoder, retriever.tokenizer, config)
    yield milvus
    milvus.backend.close()
