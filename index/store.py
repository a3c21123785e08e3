"""The index on disk: built once, loaded fast, swapped in atomically.

Layout: `<index_dir>` is a symlink to a versioned folder holding manifest.json,
documents.json, passages.jsonl, tokens.json (BM25 state), dense.faiss and embeddings.npz
(vectors keyed by model and passage text). A build writes a new folder and then swaps the
symlink with one rename, so a build that fails or is killed leaves the previous index whole.

The manifest records the SHA-256 of every other file and loading verifies them, so a damaged or
edited index is rebuilt from the documents instead of served. Builds of one folder take turns
(a file lock next to it); each clears what killed builds left behind and resumes their
embeddings, which are saved in chunks as they are computed (`.<index_dir>.embeddings/`).
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePath

import numpy as np
from tqdm import tqdm

from corpus.documents import Corpus
from corpus.models import Document, Passage
from index.dense import DenseIndex, Encoder, cache_key
from index.documents_text import contextual_text
from index.tokenizer import STOPWORDS, USER_DICT, Tokenizer

FORMAT_VERSION = 2  # 2: the manifest records each file's SHA-256
REQUIRED_FILES = ("documents.json", "passages.jsonl", "tokens.json", "dense.faiss", "embeddings.npz")
EMBED_CHUNK = 64  # passages embedded (and saved to the resume cache) at a time
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


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def verify_files(path: Path, manifest: dict) -> None:
    """Every file the index reads must be recorded in the manifest and unchanged since the build."""
    recorded = manifest.get("files")
    if not isinstance(recorded, dict):
        raise IndexMismatch(f"index at {path} records no file checksums (built by an older version)")
    for name in REQUIRED_FILES:
        if name not in recorded:
            raise IndexMismatch(f"index at {path} does not record a checksum for {name}")
    for name, expected in recorded.items():
        if PurePath(name).name != name or not (path / name).is_file():
            raise IndexMismatch(f"index file {name} is missing from {path}")
        if file_digest(path / name) != expected:
            raise IndexMismatch(f"index file {name} does not match the SHA-256 its manifest records: "
                                "it was changed or damaged after the build")


def _check_document_paths(documents: dict[str, Document]) -> None:
    """Document files are named relative to the documents folder and may not leave it."""
    for doc in documents.values():
        file = PurePath(doc.file)
        if file.is_absolute() or ".." in file.parts or not file.parts:
            raise IndexMismatch(f"document {doc.doc_id} names a file outside the documents folder: {doc.file!r}")


def load_index(path: Path) -> StoredIndex:
    if not (path / "manifest.json").is_file():
        raise FileNotFoundError(f"no index at {path}")
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise IndexMismatch(f"index manifest at {path} is unreadable: {error}") from None
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexMismatch(f"index format {manifest.get('format')} is not the current format {FORMAT_VERSION}")
    verify_files(path, manifest)
    documents = {d["doc_id"]: Document.from_dict(d) for d in json.loads((path / "documents.json").read_text(encoding="utf-8"))}
    _check_document_paths(documents)
    with (path / "passages.jsonl").open(encoding="utf-8") as f:
        passages = [Passage.from_dict(json.loads(line)) for line in f]
    tokens = json.loads((path / "tokens.json").read_text(encoding="utf-8"))
    dense = DenseIndex.load(path / "dense.faiss")
    if not (len(passages) == len(tokens) == len(dense)):
        raise IndexMismatch(f"index at {path} is inconsistent: {len(passages)} passages, "
                            f"{len(tokens)} token lists, {len(dense)} vectors")
    return StoredIndex(path.resolve(), manifest, documents, passages, tokens, dense)


def _load_cache(path: Path) -> dict[str, np.ndarray]:
    """Vectors of the current index, when its files are intact (a damaged index only costs time)."""
    cache_file = path / "embeddings.npz"
    if not cache_file.is_file():
        return {}
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        recorded = manifest.get("files", {}).get("embeddings.npz")
        if manifest.get("format", 1) >= 2 and recorded != file_digest(cache_file):
            log.warning("ignoring the embedding cache of %s: it does not match its manifest", path)
            return {}
        with np.load(cache_file) as data:
            return dict(zip(data["keys"].tolist(), data["vectors"]))
    except (OSError, ValueError, KeyError, AttributeError) as error:
        log.warning("ignoring unreadable embedding cache %s: %s", cache_file, error)
        return {}


class ResumeCache:
    """Embeddings saved in chunks as a build computes them, so a killed build's work is kept.

    Each chunk is named by the SHA-256 of its bytes and checked when read; the folder is emptied
    once a build has finished (its vectors are then in the index's embeddings.npz).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load(self) -> dict[str, np.ndarray]:
        vectors: dict[str, np.ndarray] = {}
        for chunk in sorted(self.folder.glob("*.npz")) if self.folder.is_dir() else []:
            data = chunk.read_bytes()
            if hashlib.sha256(data).hexdigest() != chunk.stem:
                log.warning("ignoring damaged embedding chunk %s", chunk.name)
                continue
            with np.load(io.BytesIO(data)) as arrays:
                vectors.update(zip(arrays["keys"].tolist(), arrays["vectors"]))
        return vectors

    def save(self, keys: list[str], vectors: np.ndarray) -> None:
        buffer = io.BytesIO()
        np.savez(buffer, keys=np.array(keys), vectors=vectors)
        data = buffer.getvalue()
        self.folder.mkdir(exist_ok=True)
        name = hashlib.sha256(data).hexdigest()
        draft = self.folder / f".{name}.part"
        draft.write_bytes(data)
        draft.rename(self.folder / f"{name}.npz")  # a chunk is whole or absent

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """One build of a folder at a time: a second waits, then finds the first's vectors cached."""
    lock_path = index_dir.parent / f".{index_dir.name}.lock"
    with lock_path.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("waiting for another build of %s to finish", index_dir)
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def remove_leftovers(index_dir: Path) -> None:
    """What killed builds left: stage folders, link drafts, versions the link never reached.
    Called with the build lock held, so no running build owns any of them."""
    current = index_dir.resolve() if index_dir.is_symlink() else None
    version = re.compile(rf"{re.escape(index_dir.name)}\.\d{{8}}-\d{{6}}-[0-9a-f]{{6}}")
    for entry in index_dir.parent.iterdir():
        stage = entry.name.startswith(f".{index_dir.name}.build-")
        draft_link = entry.name.startswith(f".{index_dir.name}.link-") and entry.is_symlink()
        orphan = version.fullmatch(entry.name) is not None and entry.resolve() != current
        if draft_link:
            entry.unlink()
        elif (stage or orphan) and entry.is_dir() and not entry.is_symlink():
            log.warning("removing %s, left by an interrupted build", entry.name)
            shutil.rmtree(entry, ignore_errors=True)


def _embed(encoder: Encoder, texts: list[str], keys: list[str], cache: dict[str, np.ndarray],
           resume: ResumeCache, progress: bool) -> int:
    """Embed the texts whose keys are not cached, saving each chunk as it is done; returns how many."""
    missing = sorted({key: i for i, key in enumerate(keys) if key not in cache}.values(), key=lambda i: len(texts[i]))
    with tqdm(total=len(missing), desc="embedding passages", unit="passage", disable=not progress) as bar:
        for start in range(0, len(missing), EMBED_CHUNK):
            chunk = missing[start : start + EMBED_CHUNK]
            vectors = encoder.embed_passages([texts[i] for i in chunk])
            resume.save([keys[i] for i in chunk], vectors)
            for i, vector in zip(chunk, vectors):
                cache[keys[i]] = vector
            bar.update(len(chunk))
    return len(missing)


def build_index(corpus: Corpus, index_dir: Path, encoder: Encoder, tokenizer: Tokenizer,
                settings: dict, progress: bool = True) -> BuildReport:
    """Build into a fresh folder, then point `index_dir` at it with one atomic rename."""
    index_dir = index_dir.absolute()
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    with build_lock(index_dir):
        remove_leftovers(index_dir)
        return _build_locked(corpus, index_dir, encoder, tokenizer, settings, progress)


def _build_locked(corpus: Corpus, index_dir: Path, encoder: Encoder, tokenizer: Tokenizer,
                  settings: dict, progress: bool) -> BuildReport:
    started = time.perf_counter()
    stage = index_dir.parent / f".{index_dir.name}.build-{uuid.uuid4().hex[:8]}"
    stage.mkdir()
    resume = ResumeCache(index_dir.parent / f".{index_dir.name}.embeddings")
    try:
        passages = corpus.passages
        documents = corpus.documents
        texts = [contextual_text(p, documents[p.doc_id]) for p in passages]
        tokens = [tokenizer.tokenize(text) for text in texts]

        cache = (_load_cache(index_dir) if index_dir.exists() else {}) | resume.load()
        keys = [cache_key(encoder.model_id, text) for text in texts]
        embedded = _embed(encoder, texts, keys, cache, resume, progress)
        vectors = np.vstack([cache[key] for key in keys]).astype(np.float32)
        del cache

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
            "embedded": embedded,
            "reused": len(passages) - embedded,
            "build_seconds": round(seconds, 2),
            "settings": settings,
            "versions": _versions(),
            "files": {f.name: file_digest(f) for f in sorted(stage.iterdir()) if f.is_file()},
        }
        # The manifest is written last: a folder without one is never a finished index.
        (stage / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        _swap_in(stage, index_dir)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    resume.clear()
    return BuildReport(index_dir, len(passages), embedded, len(passages) - embedded, seconds)


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
