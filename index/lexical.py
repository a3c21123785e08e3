"""BM25 over tokenised passages (rank-bm25), scored only over the passages a filter allows."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from rank_bm25 import BM25Okapi


@dataclass(frozen=True)
class BM25Params:
    k1: float = 1.2
    b: float = 0.75


class LexicalIndex:
    def __init__(self, tokenized: list[list[str]], params: BM25Params = BM25Params()) -> None:
        self.params = params
        self.tokenized = tokenized
        self._bm25 = BM25Okapi(tokenized, k1=params.k1, b=params.b)

    def idf(self, token: str) -> float:
        """Inverse document frequency; a token no passage has counts as the rarest there is."""
        return float(self._bm25.idf.get(token, self._max_idf))

    @cached_property
    def _max_idf(self) -> float:
        return max(self._bm25.idf.values(), default=1.0)

    def scores(self, query_tokens: list[str], allowed: np.ndarray | None = None) -> np.ndarray:
        """BM25 score of every passage; passages outside `allowed` (a boolean mask) get -inf."""
        if allowed is None:
            scores = self._bm25.get_scores(query_tokens)
        else:
            ids = np.flatnonzero(allowed)
            scores = np.full(len(self.tokenized), -np.inf)
            scores[ids] = self._bm25.get_batch_scores(query_tokens, ids.tolist())
        return np.asarray(scores, dtype=np.float64)
