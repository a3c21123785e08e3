"""Where the two retrieval channels run: the interface the Retriever searches through.

A backend holds the passages of one stored index (BM25 over their contextual text, and their
vectors) and answers each channel on its own; the Retriever fuses the channels itself
(index/fusion.py), so every backend returns per-channel scores. Passages are named by their
position in the stored index (`pid`). Filters arrive as a Selection and are applied inside the
search, never by cutting a top-k list afterwards.

    embedded  sparse BM25 + faiss in this process (index/embedded_backend.py), the default
    milvus    Milvus Lite (a file) or a Milvus server (index/milvus_backend.py)
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

import numpy as np

from index.scope import Selection


class BackendKind(StrEnum):
    EMBEDDED = "embedded"
    MILVUS = "milvus"


class Backend(Protocol):
    @property
    def name(self) -> str:
        """`embedded`, or `milvus` with where it runs: what /readyz reports."""

    def count(self) -> int:
        """Passages the backend holds."""

    def bm25(self, query: str, tokens: list[str], selection: Selection, k: int) -> dict[int, float]:
        """Up to k passages with a positive BM25 score, pid → score. `tokens` are the project
        tokeniser's tokens of `query`; a backend that analyses text itself may use the query."""

    def dense(self, vector: np.ndarray, selection: Selection, k: int) -> dict[int, float]:
        """The k passages nearest the normalised query vector, pid → cosine."""

    def close(self) -> None:
        """Release connections (a backend is unusable afterwards)."""
