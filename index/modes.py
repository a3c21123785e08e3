"""The retrieval channels a search may use (a module of its own: the CLI names them without
loading the index code)."""

from __future__ import annotations

from enum import StrEnum


class Mode(StrEnum):
    BM25 = "bm25"
    DENSE = "dense"
    HYBRID = "hybrid"
