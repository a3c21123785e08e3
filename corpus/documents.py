"""The bundled documents, and the library of any documents folder parsed into a Corpus."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from corpus.library import Corpus, Library, store_for
from corpus.parser import DEFAULT_MAX_CHARS

PACKAGE_DIR = Path(__file__).parent
DOCUMENTS_DIR = PACKAGE_DIR / "documents"
MANIFEST_PATH = PACKAGE_DIR / "manifest.json"  # reviewed metadata of the bundled documents, by doc_id
LIBRARY_ROOT = PACKAGE_DIR.parent / ".data" / "library"  # library records, beside the index
REVIEWED_NAME = "reviewed.json"  # a folder's own reviewed record, if it has one

__all__ = ["Corpus", "DOCUMENTS_DIR", "MANIFEST_PATH", "LIBRARY_ROOT", "open_library", "load_corpus", "bundled_corpus"]


def open_library(directory: Path = DOCUMENTS_DIR, reviewed: Path | None = None, max_chars: int = DEFAULT_MAX_CHARS,
                 library_root: Path = LIBRARY_ROOT) -> Library:
    """The library of a folder. Reviewed fields come from the bundled record, then the folder's own
    `reviewed.json` (or `reviewed`, when given)."""
    return Library(directory, store_for(directory, library_root),
                   (MANIFEST_PATH, reviewed or directory / REVIEWED_NAME), max_chars)


def load_corpus(directory: Path = DOCUMENTS_DIR, reviewed: Path | None = None, max_chars: int = DEFAULT_MAX_CHARS,
                library_root: Path = LIBRARY_ROOT) -> Corpus:
    """Every supported file of `directory`, parsed into cited passages."""
    return open_library(directory, reviewed, max_chars, library_root).load().corpus


@cache
def bundled_corpus() -> Corpus:
    return load_corpus()
