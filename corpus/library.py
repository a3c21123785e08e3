"""The document library: every supported file of a folder is a document.

The folder is the truth. Beside the index (`.data/library/<folder>-<hash>/`) the library keeps a record
of what it read: per source file its doc_id, the hash of its bytes, the metadata extracted by code and
the converted text the passages cite (`texts/`, named by doc_id and text hash so a text is never
rewritten in place). An unchanged file is not read again. A reviewed record (entries keyed by doc_id,
e.g. corpus/manifest.json for the bundled documents) overrides extracted fields.

Changes are staged: `stage_add` / `stage_remove` return a `StagedChange` holding the library as it
will be; nothing in the folder changes until `commit()` (the caller builds and swaps the index in
between), and `discard()` undoes the staging. Callers serialise changes with `locked()`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path

from corpus.metadata import extract_metadata
from corpus.models import Document, Passage
from corpus.parser import DEFAULT_MAX_CHARS, ParsedDocument, parse_document
from corpus.readers import MAX_BYTES, SUPPORTED_SUFFIXES, Unreadable, UnreadableDocument, read_document

# Raised when what a record holds changes, the metadata extracted included, so that every file is read
# again once (2: a document's place from its body when its header names none).
RECORD_FORMAT = 2
REVIEWABLE_FIELDS = ("title", "issuer", "doc_number", "province", "city", "county", "year", "date", "doc_type",
                     "level", "effective_date", "repeals")
UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|#%]+")
UNSAFE_ID = re.compile(r"[^\w.\-]+")  # \w keeps CJK: 烟台条例 is a fine doc_id
log = logging.getLogger(__name__)


class LibraryProblem(StrEnum):
    """What is wrong with a change, beyond a file that cannot be read (corpus.readers.Unreadable)."""

    DUPLICATE = "duplicate"  # the same text is already a document of the library
    NAME_TAKEN = "name_taken"  # a document of that file name (or doc_id) exists
    BAD_NAME = "bad_name"  # no usable file name
    UNKNOWN_DOCUMENT = "unknown_document"


class LibraryError(ValueError):
    """A change the library refuses; `reason` says which kind, the message what to do."""

    def __init__(self, reason: Unreadable | LibraryProblem, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Corpus:
    """The parsed library: documents, their passages, and the texts the passages cite."""

    documents: dict[str, Document]
    parsed: dict[str, ParsedDocument]
    texts: dict[str, Path]  # doc_id → the UTF-8 text its passages' offsets point into

    @property
    def passages(self) -> list[Passage]:
        return [p for parsed in self.parsed.values() for p in parsed.passages]

    def text_of(self, doc_id: str) -> str:
        return self.texts[doc_id].read_text(encoding="utf-8")


@dataclass(frozen=True)
class Entry:
    """One document of the library as recorded."""

    source: str  # file name in the documents folder
    sha256: str  # of the file's bytes
    doc_id: str
    text: str  # file name under texts/
    text_sha256: str
    source_format: str
    pages: tuple[int, ...]
    extracted: dict  # metadata as extract_metadata returned it

    def to_dict(self) -> dict:
        return {**{f.name: getattr(self, f.name) for f in fields(self)}, "pages": list(self.pages)}

    @classmethod
    def from_dict(cls, data: dict) -> Entry:
        return cls(**{**data, "pages": tuple(data.get("pages") or ())})


@dataclass(frozen=True)
class Skipped:
    """A file of the folder that is not a document, and why."""

    source: str
    reason: str
    message: str


@dataclass(frozen=True)
class LibraryState:
    entries: dict[str, Entry]  # by doc_id
    skipped: tuple[Skipped, ...]
    corpus: Corpus
    reviewed: dict[str, tuple[str, ...]] = field(default_factory=dict)  # doc_id → fields the reviewed record set

    @property
    def documents(self) -> dict[str, Document]:
        return self.corpus.documents


@dataclass
class StagedChange:
    """A change whose new state is computed but not yet visible in the folder."""

    library: Library
    state: LibraryState
    added: list[tuple[Path, Path]] = field(default_factory=list)  # (copy in a hidden staging folder, final path)
    removed: list[tuple[Path, Path]] = field(default_factory=list)  # (final path, hidden parked copy)
    texts: dict[str, str] = field(default_factory=dict)  # converted texts of added documents, by file name

    def commit(self) -> None:
        for name, text in self.texts.items():
            self.library.write_text(name, text)
        for temp, final in self.added:
            os.replace(temp, final)
            temp.parent.rmdir()
        for _, parked in self.removed:
            parked.unlink(missing_ok=True)
        self.library.write_record(self.state)

    def discard(self) -> None:
        for temp, _ in self.added:
            shutil.rmtree(temp.parent, ignore_errors=True)
        for final, parked in self.removed:
            if parked.exists():
                os.replace(parked, final)


def store_for(documents_dir: Path, library_root: Path) -> Path:
    """The record folder of a documents folder: one per folder, so switching folders loses nothing."""
    resolved = documents_dir.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:10]
    return library_root / f"{UNSAFE_ID.sub('_', resolved.name) or 'documents'}-{digest}"


def safe_file_name(name: str) -> str:
    """The last component of an uploaded name, without control or path characters."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/")).rsplit("/", 1)[-1]
    base = UNSAFE_NAME.sub("_", base).strip(" .")
    if not base or base.startswith(".") or not Path(base).stem:
        raise LibraryError(LibraryProblem.BAD_NAME, f"{name!r} is not a usable file name")
    if len(base.encode()) > 200:
        stem, suffix = Path(base).stem, Path(base).suffix
        base = stem.encode()[: 200 - len(suffix.encode())].decode(errors="ignore") + suffix
    return base


def is_document_file(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(".") and path.suffix.lower() in SUPPORTED_SUFFIXES


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _doc_id_for(name: str, taken: set[str]) -> str | None:
    """`烟台条例.txt` → `烟台条例`; when another file has that stem: `烟台条例_pdf`."""
    path = Path(name)
    stem = UNSAFE_ID.sub("_", path.stem).strip("_") or "document"
    for candidate in (stem, f"{stem}_{path.suffix.lstrip('.').lower()}"):
        if candidate not in taken:
            return candidate
    return None


def load_reviewed(paths: tuple[Path, ...]) -> dict[str, dict]:
    """Reviewed fields by doc_id; a later record overrides an earlier one."""
    reviewed: dict[str, dict] = {}
    for path in paths:
        if not path.is_file():
            continue
        entries = json.loads(path.read_text(encoding="utf-8"))["documents"]
        for doc_id, values in entries.items():
            unknown = set(values) - set(REVIEWABLE_FIELDS) - {"reviewed", "note"}
            if unknown:
                raise ValueError(f"{path}: {doc_id} sets unknown field(s) {', '.join(sorted(unknown))} "
                                 f"(reviewable: {', '.join(REVIEWABLE_FIELDS)})")
            reviewed.setdefault(doc_id, {}).update({k: v for k, v in values.items() if k in REVIEWABLE_FIELDS})
    return reviewed


class Library:
    def __init__(self, documents_dir: Path, store_dir: Path, reviewed: tuple[Path, ...] = (),
                 max_chars: int = DEFAULT_MAX_CHARS) -> None:
        self.documents_dir = documents_dir
        self.store_dir = store_dir
        self.texts_dir = store_dir / "texts"
        self.reviewed_paths = reviewed
        self.max_chars = max_chars

    # ---- reading the folder -------------------------------------------------------------------

    def load(self) -> LibraryState:
        """Every supported file of the folder as a document; unchanged files are not read again."""
        if not self.documents_dir.is_dir():
            raise FileNotFoundError(f"documents folder {self.documents_dir} does not exist")
        self.texts_dir.mkdir(parents=True, exist_ok=True)
        recorded = {e.source: e for e in self._read_record()}
        files = sorted((p for p in self.documents_dir.iterdir() if is_document_file(p)),
                       key=lambda p: (p.name not in recorded, p.name))  # known files keep their doc_ids
        entries: dict[str, Entry] = {}
        skipped: list[Skipped] = []
        texts_seen: dict[str, str] = {}
        for path in files:
            try:
                old = recorded.get(path.name)
                if old and path.stat().st_size <= MAX_BYTES and old.sha256 == _sha256(path.read_bytes()) \
                        and (self.texts_dir / old.text).is_file() and old.doc_id not in entries:
                    entry = old
                else:
                    entry, text = self._read_file(path, set(entries))
                    self.write_text(entry.text, text)
                if entry.text_sha256 in texts_seen:
                    raise LibraryError(LibraryProblem.DUPLICATE, f"{path.name} has the same text as "
                                       f"{texts_seen[entry.text_sha256]}")
            except (UnreadableDocument, LibraryError) as error:
                log.warning("skipping %s: %s", path.name, error)
                skipped.append(Skipped(path.name, str(error.reason), str(error)))
                continue
            texts_seen[entry.text_sha256] = path.name
            entries[entry.doc_id] = entry
        state = self._state(entries, tuple(skipped), previous=None)
        self.write_record(state)
        return state

    def _read_file(self, path: Path, taken: set[str]) -> tuple[Entry, str]:
        """Read a file as a document: its entry (metadata extracted) and its text."""
        read = read_document(path)
        doc_id = _doc_id_for(path.name, taken)
        if doc_id is None:
            raise LibraryError(LibraryProblem.NAME_TAKEN, f"{path.name}: its doc_id is taken by another file; rename it")
        text_sha = _sha256(read.text.encode("utf-8"))
        text_name = f"{doc_id}.{text_sha[:12]}.txt"
        extracted = Document.from_dict({**_as_dict(extract_metadata(read.text, path.name)), "doc_id": doc_id,
                                        "file": path.name}).to_dict()
        for name in ("doc_id", "file", "source_file", "source_format", "pages"):
            extracted.pop(name, None)
        return Entry(path.name, _sha256(path.read_bytes()), doc_id, text_name, text_sha, read.source_format,
                     tuple(read.pages), extracted), read.text

    def write_text(self, name: str, text: str) -> None:
        target = self.texts_dir / name
        if target.is_file():
            return
        temp = self.texts_dir / f".{name}.{uuid.uuid4().hex[:8]}"
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, target)

    def _state(self, entries: dict[str, Entry], skipped: tuple[Skipped, ...], previous: LibraryState | None,
               new_texts: dict[str, str] | None = None) -> LibraryState:
        reviewed = load_reviewed(self.reviewed_paths)
        documents, parsed, texts, overridden = {}, {}, {}, {}
        for doc_id, entry in entries.items():
            document = _document(entry, reviewed.get(doc_id, {}))
            text_path = self.texts_dir / entry.text
            old = previous.corpus.parsed.get(doc_id) if previous else None
            if old is not None and old.document == document and previous.entries[doc_id].text_sha256 == entry.text_sha256:
                parsed[doc_id] = old  # unchanged document: its passages stand
            else:
                text = (new_texts or {}).get(entry.text) or text_path.read_text(encoding="utf-8")
                parsed[doc_id] = parse_document(document, text, self.max_chars)
            documents[doc_id], texts[doc_id] = document, text_path
            overridden[doc_id] = tuple(sorted(reviewed.get(doc_id, {})))
        return LibraryState(entries, skipped, Corpus(documents, parsed, texts), overridden)

    # ---- the record -----------------------------------------------------------------------------

    @property
    def record_path(self) -> Path:
        return self.store_dir / "record.json"

    def _read_record(self) -> list[Entry]:
        if not self.record_path.is_file():
            return []
        try:
            data = json.loads(self.record_path.read_text(encoding="utf-8"))
            if data.get("format") != RECORD_FORMAT:
                return []
            return [Entry.from_dict(e) for e in data["documents"]]
        except (OSError, ValueError, KeyError, TypeError) as error:  # a damaged record only costs a re-read
            log.warning("ignoring unreadable library record %s: %s", self.record_path, error)
            return []

    def write_record(self, state: LibraryState) -> None:
        """Write the record atomically, then drop texts no document cites any more."""
        self.store_dir.mkdir(parents=True, exist_ok=True)
        record = {"format": RECORD_FORMAT, "documents_dir": str(self.documents_dir.resolve()),
                  "documents": [e.to_dict() for e in state.entries.values()],
                  "skipped": [vars(s) for s in state.skipped]}
        temp = self.store_dir / f".record.{uuid.uuid4().hex[:8]}.json"
        temp.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(temp, self.record_path)
        cited = {e.text for e in state.entries.values()}
        for path in self.texts_dir.glob("*.txt"):
            if path.name not in cited:
                path.unlink(missing_ok=True)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Serialise changes to this folder across threads and processes (an flock on the store)."""
        self.store_dir.mkdir(parents=True, exist_ok=True)
        with (self.store_dir / "lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # ---- changes ------------------------------------------------------------------------------

    def stage_add(self, state: LibraryState, files: list[tuple[str, Path]]) -> StagedChange:
        """Check and read each (file name, path of its bytes); the first bad file refuses the whole change."""
        entries = dict(state.entries)
        change = StagedChange(self, state)
        try:
            sources = {e.source for e in entries.values()}
            texts = {e.text_sha256: e.source for e in entries.values()}
            for name, path in files:
                name = safe_file_name(name)
                final = self.documents_dir / name
                if name in sources or final.exists():
                    raise LibraryError(LibraryProblem.NAME_TAKEN, f"the library already has a file named {name}: "
                                       "remove that document first, or rename the new file")
                staging = self.documents_dir / f".adding-{uuid.uuid4().hex[:8]}"
                staging.mkdir()
                change.added.append((staging / name, final))
                shutil.copyfile(path, staging / name)
                try:
                    entry, text = self._read_file(staging / name, set(entries))
                except UnreadableDocument as error:
                    raise LibraryError(error.reason, error.message) from None
                change.texts[entry.text] = text
                if entry.text_sha256 in texts:
                    raise LibraryError(LibraryProblem.DUPLICATE, f"{name} has the same text as {texts[entry.text_sha256]}, "
                                       "which is already in the library")
                entries[entry.doc_id] = entry
                sources.add(name)
                texts[entry.text_sha256] = name
            change.state = self._state(entries, state.skipped, previous=state, new_texts=change.texts)
        except BaseException:
            change.discard()
            raise
        return change

    def stage_remove(self, state: LibraryState, doc_id: str) -> StagedChange:
        if doc_id not in state.entries:
            raise LibraryError(LibraryProblem.UNKNOWN_DOCUMENT,
                               f"no document {doc_id!r} in the library (known: {', '.join(sorted(state.entries))})")
        entries = {k: v for k, v in state.entries.items() if k != doc_id}
        final = self.documents_dir / state.entries[doc_id].source
        parked = self.documents_dir / f".{final.name}.removing-{uuid.uuid4().hex[:8]}"
        change = StagedChange(self, state)
        if final.exists():
            os.replace(final, parked)
            change.removed.append((final, parked))
        try:
            change.state = self._state(entries, state.skipped, previous=state)
        except BaseException:
            change.discard()
            raise
        return change


def _as_dict(metadata: object) -> dict:
    return {f.name: getattr(metadata, f.name) for f in fields(metadata)}  # type: ignore[arg-type]


def _document(entry: Entry, reviewed: dict) -> Document:
    """The document as extracted, with the reviewed record's fields laid over it."""
    data = {**entry.extracted, **reviewed, "doc_id": entry.doc_id, "source_format": entry.source_format,
            "pages": list(entry.pages),
            "file": entry.source if entry.source_format in ("txt", "md") else f"{entry.doc_id}.txt",
            "source_file": entry.source}
    data["guessed"] = [name for name in entry.extracted.get("guessed", ()) if name not in reviewed]
    return Document.from_dict(data)
