"""Sparse BM25 against rank-bm25's BM25Okapi, the reference: same scores, same ranking, same idf.

On the real index's passages and every gold question, with and without a filter mask.
"""

from __future__ import annotations

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from eval.gold import load_gold
from index.lexical import BM25Params, LexicalIndex
from index.retriever import Retriever

PARAMS = BM25Params()


@pytest.fixture(scope="module")
def tokens(retriever: Retriever) -> list[list[str]]:
    return retriever.stored.tokens


@pytest.fixture(scope="module")
def reference(tokens: list[list[str]]) -> BM25Okapi:
    return BM25Okapi(tokens, k1=PARAMS.k1, b=PARAMS.b, epsilon=PARAMS.epsilon)


@pytest.fixture(scope="module")
def sparse(tokens: list[list[str]]) -> LexicalIndex:
    return LexicalIndex(tokens, PARAMS)


@pytest.fixture(scope="module")
def queries(retriever: Retriever) -> list[list[str]]:
    return [retriever.tokenizer.tokenize(q.question) for q in load_gold()]


def _reference_ranking(scores: np.ndarray, k: int) -> list[int]:
    """What the retriever did with rank-bm25: a stable sort of every score, positive scores kept."""
    return [int(i) for i in np.argsort(-scores, kind="stable")[:k] if scores[i] > 0]


def test_idf_matches_bm25okapi_including_the_floor_for_common_terms(sparse: LexicalIndex,
                                                                   reference: BM25Okapi) -> None:
    floored = [t for t, v in reference.idf.items() if v == PARAMS.epsilon * reference.average_idf]
    assert floored, "the corpus has terms in more than half the passages: their idf is floored"
    for token, value in reference.idf.items():
        assert sparse.idf(token) == pytest.approx(value, abs=1e-12), token
    assert sparse.idf("没有这个词语的文本") == max(reference.idf.values())


def test_scores_and_ranking_match_bm25okapi_on_every_gold_question(
        sparse: LexicalIndex, reference: BM25Okapi, queries: list[list[str]]) -> None:
    for query in queries:
        expected = reference.get_scores(query)
        got = sparse.scores(query)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
        ids, scores = sparse.top(query, 100)
        assert ids.tolist() == _reference_ranking(expected, 100), query
        np.testing.assert_allclose(scores, expected[ids], rtol=0, atol=1e-6)


def test_filter_mask_scores_only_allowed_passages_like_get_batch_scores(
        sparse: LexicalIndex, reference: BM25Okapi, queries: list[list[str]], retriever: Retriever) -> None:
    doc_ids = sorted(retriever.documents)
    doc_of_passage = np.array([p.doc_id for p in retriever.passages])
    for n, query in enumerate(queries):
        allowed = doc_of_passage == doc_ids[n % len(doc_ids)]  # each document in turn
        expected = np.full(len(allowed), -np.inf)
        ids = np.flatnonzero(allowed)
        expected[ids] = reference.get_batch_scores(query, ids.tolist())
        got = sparse.scores(query, allowed)
        assert np.array_equal(np.isinf(got), ~allowed)
        np.testing.assert_allclose(got[allowed], expected[allowed], rtol=0, atol=1e-6)
        top_ids, _ = sparse.top(query, 100, allowed)
        assert top_ids.tolist() == _reference_ranking(expected, 100), query
        assert allowed[top_ids].all()


def test_repeated_query_terms_count_again_and_unknown_terms_add_nothing(sparse: LexicalIndex,
                                                                       reference: BM25Okapi,
                                                                       queries: list[list[str]]) -> None:
    query = queries[0]
    doubled = query + query[:1] + ["没有这个词语的文本"]
    np.testing.assert_allclose(sparse.scores(doubled), reference.get_scores(doubled), rtol=0, atol=1e-6)
    assert not sparse.scores(["没有这个词语的文本"]).any()
    assert sparse.top(["没有这个词语的文本"], 10)[0].size == 0


def test_top_breaks_ties_by_passage_id_and_keeps_k(sparse: LexicalIndex) -> None:
    passages = [["高压", "报装"], ["低压"], ["高压", "报装"], ["高压", "报装"]] + [["用水"], ["用气"], ["用暖"]] * 2
    ids, scores = LexicalIndex(passages, PARAMS).top(["高压"], 2)
    assert ids.tolist() == [0, 2] and scores[0] == scores[1] > 0
