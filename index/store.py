"""The index on disk: built once, loaded fast, swapped in atomically.

Layout: `<index_dir>` is a symlink to a versioned folder holding manifest.json,
documents.json, passages.jsonl, tokens.json (BM25 state), dense.faiss and embeddings.npz
(vectors keyed by model and passage text). A build writes a new folder and then swaps the
symlink with one rename, so a build that fails or is killed leaves the previous index whole.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
from tqdm import tqdm

from corpus.documents import Corpus
from corpus.models import Document, Passage
from index.dense import DenseIndex, Encoder, cache_key
from index.documents_text import contextual_text
from index.tokenizer import STOPWORDS, USER_DICT, Tokenizer

FORMAT_VERSION = 1
log = logging.getLogger(__name__)


class IndexMismatch(RuntimeError):
    """The stored index does not belong to these documents, this model or this tokeniser."""


@dataclass
class StoredIndex:
    path: Path
    manifest: dict
    documents: dict[str, Document]
    passages: list[Passage]
    tokens: list[list[str]]
    dense: DenseIndex


@dataclass(frozen=True)
class BuildReport:
    path: Path
    passages: int
    embedded: int  # passages whose vectors were computed in this build
    reused: int  # vectors taken from the previous index's cache
    seconds: float


def corpus_fingerprint(corpus: Corpus) -> str:
    """Hash of the parsed passages and document records: changes with any document or parser change."""
    digest = hashlib.sha256()
    for doc in sorted(corpus.documents.values(), key=lambda d: d.doc_id):
        digest.update(json.dumps(doc.to_dict(), ensure_ascii=False, sort_keys=True).encode())
    for passage in corpus.passages:
        digest.update(json.dumps(passage.to_dict(), ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()


def tokenizer_fingerprint() -> str:
    return hashlib.sha256(USER_DICT.read_bytes() + STOPWORDS.read_bytes()).hexdigest()[:16]


def _versions() -> dict[str, str]:
    names = ("policy-qa", "sentence-transformers", "transformers", "torch", "faiss-cpu", "jieba", "rank-bm25")
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def check_compatible(manifest: dict, corpus_hash: str, model_id: str) -> None:
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexMismatch(f"index format {manifest.get('format')} is not the current format {FORMAT_VERSION}")
    if manifest["corpus_hash"] != corpus_hash:
        raise IndexMismatch("index was built from other documents (or another parser version): "
                            f"corpus hash {manifest['corpus_hash'][:12]} ≠ current {corpus_hash[:12]}")
    if manifest["model_id"] != model_id:
        raise IndexMismatch(f"index was built with model {manifest['model_id']!r}, not {model_id!r}")
    if manifest["tokenizer"] != tokenizer_fingerprint():
        raise IndexMismatch("index was built with another tokeniser dictionary")


def load_index(path: Path) -> StoredIndex:
    if not (path / "manifest.json").is_file():
        raise FileNotFoundError(f"no index at {path}")
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    documents = {d["doc_id"]: Document.from_dict(d) for d in json.loads((path / "documents.json").read_text(encoding="utf-8"))}
    with (path / "passages.jsonl").open(encoding="utf-8") as f:
        passages = [Passage.from_dict(json.loads(line)) for line in f]
    tokens = json.loads((path / "tokens.json").read_text(encoding="utf-8"))
    dense = DenseIndex.load(path / "dense.faiss")
    if not (len(passages) == len(tokens) == len(dense)):
        raise IndexMismatch(f"index at {path} is inconsistent: {len(passages)} passages, "
                            f"{len(tokens)} token lists, {len(dense)} vectors")
    return StoredIndex(path.resolve(), manifest, documents, passages, tokens, dense)


def _load_cache(path: Path) -> dict[str, np.ndarray]:
    cache_file = path / "embeddings.npz"
    if not cache_file.is_file():
        return {}
    try:
        with np.load(cache_file) as data:
            return dict(zip(data["keys"].tolist(), data["vectors"]))
    except (OSError, ValueError, KeyError) as error:  # a damaged cache only costs time
        log.warning("ignoring unreadable embedding cache %s: %s", cache_file, error)
        return {}


def build_index(corpus: Corpus, index_dir: Path, encoder: Encoder, tokenizer: Tokenizer,
                settings: dict, progress: bool = True) -> BuildReport:
    """Build into a fresh folder, then point `index_dir` at it with one atomic rename."""
    started = time.perf_counter()
    index_dir = index_dir.absolute()
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    stage = index_dir.parent / f".{index_dir.name}.build-{uuid.uuid4().hex[:8]}"
    stage.mkdir()
    try:
        passages = corpus.passages
        documents = corpus.documents
        texts = [contextual_text(p, documents[p.doc_id]) for p in passages]
        tokens = [tokenizer.tokenize(text) for text in texts]

        cache = _load_cache(index_dir) if index_dir.exists() else {}
        keys = [cache_key(encoder.model_id, text) for text in texts]
        missing = [i for i, key in enumerate(keys) if key not in cache]
        with tqdm(total=len(missing), desc="embedding passages", unit="passage", disable=not progress) as bar:
            fresh = encoder.embed_passages([texts[i] for i in missing], progress=bar.update)
        for i, vector in zip(missing, fresh):
            cache[keys[i]] = vector
        vectors = np.vstack([cache[key] for key in keys]).astype(np.float32)

        DenseIndex.from_vectors(vectors).save(stage / "dense.faiss")
        np.savez(stage / "embeddings.npz", keys=np.array(keys), vectors=vectors)
        (stage / "tokens.json").write_text(json.dumps(tokens, ensure_ascii=False), encoding="utf-8")
        with (stage / "passages.jsonl").open("w", encoding="utf-8") as f:
            for passage in passages:
                f.write(json.dumps(passage.to_dict(), ensure_ascii=False) + "\n")
        (stage / "documents.json").write_text(
            json.dumps([d.to_dict() for d in documents.values()], ensure_ascii=False, indent=1), encoding="utf-8")
        seconds = time.perf_counter() - started
        manifest = {
            "format": FORMAT_VERSION,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "corpus_hash": corpus_fingerprint(corpus),
            "model_id": encoder.model_id,
            "tokenizer": tokenizer_fingerprint(),
            "passages": len(passages),
            "embedded": len(missing),
            "reused": len(passages) - len(missing),
            "build_seconds": round(seconds, 2),
            "settings": settings,
            "versions": _versions(),
        }
        # The manifest is written last: a folder without one is never a finished index.
        (stage / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        _swap_in(stage, index_dir)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return BuildReport(index_dir, len(passages), len(missing), len(passages) - len(missing), seconds)


def _swap_in(stage: Path, index_dir: Path) -> None:
    version = index_dir.parent / f"{index_dir.name}.{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    stage.rename(version)
    previous = index_dir.resolve() if index_dir.is_symlink() else None
    if index_dir.exists() and not index_dir.is_symlink():
        raise FileExistsError(f"{index_dir} is a plain folder, not an index link; move it away first")
    link = index_dir.parent / f".{index_dir.name}.link-{uuid.uuid4().hex[:8]}"
    link.symlink_to(version.name)
    os.replace(link, index_dir)  # atomic: readers see the old index or the new one, never neither
    if previous and previous != version.resolve():
        shutil.rmtree(previous, ignore_errors=True)
