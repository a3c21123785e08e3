"""BM25 over tokenised passages from precomputed sparse weights, scored only where a filter allows.

At load, every (term, passage) pair gets its BM25 weight once, in a term-major CSR matrix; a query
then adds up the rows of its terms instead of scoring every passage in Python. The variant and
arithmetic are rank-bm25's BM25Okapi (k1, b, and its idf with negative values floored at
epsilon × the mean idf), term by term in the query's order, so scores match it (tests/index/test_lexical.py
keeps rank-bm25 as the reference).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.sparse import csr_array


@dataclass(frozen=True)
class BM25Params:
    k1: float = 1.2
    b: float = 0.75
    epsilon: float = 0.25  # BM25Okapi's floor for negative idf, as a share of the mean idf


class LexicalIndex:
    def __init__(self, tokenized: list[list[str]], params: BM25Params = BM25Params()) -> None:
        self.params = params
        self.n_passages = len(tokenized)
        self.vocabulary: dict[str, int] = {}
        term_ids = np.fromiter((self.vocabulary.setdefault(t, len(self.vocabulary)) for doc in tokenized for t in doc),
                               dtype=np.int64)
        doc_len = np.array([len(doc) for doc in tokenized], dtype=np.int64)
        doc_ids = np.repeat(np.arange(self.n_passages, dtype=np.int64), doc_len)
        # One entry per (term, passage) with its count: the term frequency.
        pairs, tf = np.unique(term_ids * self.n_passages + doc_ids, return_counts=True)
        terms, docs = pairs // self.n_passages, pairs % self.n_passages
        self.idf_values = _okapi_idf(np.bincount(terms, minlength=len(self.vocabulary)), self.n_passages,
                                     params.epsilon)
        self._idf = dict(zip(self.vocabulary, self.idf_values.tolist()))
        # rank-bm25's expression, operation for operation, so the floats come out the same.
        avgdl = doc_len.sum() / self.n_passages if self.n_passages else 1.0
        tf, dl = tf.astype(np.float64), doc_len[docs].astype(np.float64)
        k1, b = params.k1, params.b
        weights = self.idf_values[terms] * (tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl)))
        self.weights = csr_array((weights, (terms, docs)), shape=(len(self.vocabulary), self.n_passages))

    def idf(self, token: str) -> float:
        """Inverse document frequency; a token no passage has counts as the rarest there is."""
        return self._idf.get(token, self._max_idf)

    @cached_property
    def _max_idf(self) -> float:
        return max(self._idf.values(), default=1.0)

    def scores(self, query_tokens: list[str], allowed: np.ndarray | None = None) -> np.ndarray:
        """BM25 score of every passage; passages outside `allowed` (a boolean mask) get -inf."""
        scores = np.zeros(self.n_passages)
        indptr, indices, data = self.weights.indptr, self.weights.indices, self.weights.data
        for token in query_tokens:  # repeated terms count again, as in BM25Okapi
            row = self.vocabulary.get(token)
            if row is not None:
                start, end = indptr[row], indptr[row + 1]
                scores[indices[start:end]] += data[start:end]
        if allowed is not None:
            scores[~allowed] = -np.inf
        return scores

    def top(self, query_tokens: list[str], k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The k best passages with a positive score: (ids, scores), best first, ties by passage id.

        The same order as a stable sort of every score, without sorting passages the query missed.
        """
        scores = self.scores(query_tokens, allowed)
        ids = np.flatnonzero(scores > 0)
        if len(ids) > k:
            hit = scores[ids]
            threshold = np.partition(hit, len(hit) - k)[len(hit) - k]  # the k-th best score
            above, tied = ids[hit > threshold], ids[hit == threshold]
            ids = np.concatenate([above, tied[: k - len(above)]])
        order = np.lexsort((ids, -scores[ids]))
        return ids[order], scores[ids[order]]


def _okapi_idf(document_frequency: np.ndarray, n: int, epsilon: float) -> np.ndarray:
    """BM25Okapi's idf: log((n - df + 0.5) / (df + 0.5)), negative values raised to epsilon × the mean."""
    idf = [math.log(n - df + 0.5) - math.log(df + 0.5) for df in document_frequency.tolist()]
    total = 0.0
    for value in idf:  # summed in order, as BM25Okapi does, so the floor is the same float
        total += value
    floor = epsilon * (total / len(idf)) if idf else 0.0
    return np.array([floor if value < 0 else value for value in idf])
