"""The default backend: sparse BM25 (index/lexical.py) and faiss (index/dense.py) in this process."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from corpus.models import Document, Passage
from index.dense import DenseIndex
from index.lexical import LexicalIndex
from index.scope import Selection


class EmbeddedBackend:
    name = "embedded"

    def __init__(self, lexical: LexicalIndex, dense: DenseIndex, passages: list[Passage],
                 documents: dict[str, Document]) -> None:
        self.lexical = lexical
        self.dense_index = dense
        self.passages = passages
        self.documents = documents

    def count(self) -> int:
        return len(self.dense_index)

    def bm25(self, query: str, tokens: list[str], selection: Selection, k: int) -> dict[int, float]:
        ids, scores = self.lexical.top(tokens, k, self._mask(selection))
        return dict(zip(ids.tolist(), scores.tolist()))

    def dense(self, vector: np.ndarray, selection: Selection, k: int) -> dict[int, float]:
        scores, ids = self.dense_index.search(vector, k, self._mask(selection))
        return {int(i): float(s) for i, s in zip(ids, scores)}

    def close(self) -> None:
        pass  # nothing held outside this process's memory

    @lru_cache(maxsize=256)  # noqa: B019 - selections repeat (the same filters, the same named places)
    def _mask(self, selection: Selection) -> np.ndarray | None:
        mask = selection.mask(self.passages, self.documents)
        if mask is not None:
            mask.flags.writeable = False  # shared by every search with this selection
        return mask
