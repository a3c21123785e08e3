"""The shipped documents and their reviewed manifest."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from corpus.models import Document, Passage
from corpus.parser import DEFAULT_MAX_CHARS, ParsedDocument, parse_document

PACKAGE_DIR = Path(__file__).parent
DOCUMENTS_DIR = PACKAGE_DIR / "documents"
MANIFEST_PATH = PACKAGE_DIR / "manifest.json"
DOCUMENT_FIELDS = ("doc_id", "file", "title", "issuer", "doc_number", "province", "city", "county", "year", "date")


@dataclass(frozen=True)
class Corpus:
    documents: dict[str, Document]
    parsed: dict[str, ParsedDocument]
    directory: Path

    @property
    def passages(self) -> list[Passage]:
        return [p for parsed in self.parsed.values() for p in parsed.passages]

    def text_of(self, doc_id: str) -> str:
        return (self.directory / self.documents[doc_id].file).read_text(encoding="utf-8")


def load_manifest(path: Path = MANIFEST_PATH) -> list[Document]:
    entries = json.loads(path.read_text(encoding="utf-8"))["documents"]
    return [Document(**{k: entry[k] for k in DOCUMENT_FIELDS}) for entry in entries]


def load_corpus(directory: Path = DOCUMENTS_DIR, manifest: Path = MANIFEST_PATH,
                max_chars: int = DEFAULT_MAX_CHARS) -> Corpus:
    """Parse every document listed in the manifest; a listed file that is missing is an error."""
    documents = {doc.doc_id: doc for doc in load_manifest(manifest)}
    parsed = {}
    for doc in documents.values():
        path = directory / doc.file
        if not path.is_file():
            raise FileNotFoundError(f"manifest lists {doc.file}, which is not in {directory}")
        parsed[doc.doc_id] = parse_document(doc, path.read_text(encoding="utf-8"), max_chars)
    return Corpus(documents, parsed, directory)


@cache
def bundled_corpus() -> Corpus:
    return load_corpus()
