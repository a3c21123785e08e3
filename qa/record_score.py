"""A passage's relevance to a query as a probability-like score in 0-1, for Dify's score_threshold.

The fused ranking score has no fixed scale (it depends on the query and on the other hits), and
term coverage alone leaves right passages at 0.3-0.4. A logistic model over two signals of the
retrieval itself gives a score whose 0.5 means the same for every query:

- `relative`: the passage's fused score divided by the best hit's (how close it is to the top);
- `coverage`: the IDF-weighted share of the query's terms the passage and its headings contain.

The constants are fitted on the gold set by `python -m eval.dify_threshold` (class-balanced
logistic regression, labels from the gold relevance rule), which prints them and the share of
relevant passages kept and of the others dropped at a threshold of 0.5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from index.retriever import SearchResult
from qa.answer import AnswerComposer

# Fitted by `python -m eval.dify_threshold` on eval/gold.jsonl (top 10 hybrid hits per question).
WEIGHT_RELATIVE = 7.94
WEIGHT_COVERAGE = 4.02
BIAS = -8.33


@dataclass(frozen=True)
class ScoreFeatures:
    relative: float  # fused score / best fused score of the same search, 0-1
    coverage: float  # IDF-weighted share of the query's terms in the passage, 0-1


def score_features(result: SearchResult, composer: AnswerComposer) -> list[ScoreFeatures]:
    """The model's inputs for every hit of a search, in rank order."""
    top = result.hits[0].score if result.hits else 0.0
    return [ScoreFeatures(hit.score / top if top > 0 else 0.0, composer.passage_score(result.question, hit))
            for hit in result.hits]


def relevance(features: ScoreFeatures, weights: tuple[float, float, float] = (WEIGHT_RELATIVE, WEIGHT_COVERAGE, BIAS)) -> float:
    """The logistic model: 0-1, 0.5 at the decision boundary fitted on the gold set."""
    w_relative, w_coverage, bias = weights
    return 1.0 / (1.0 + math.exp(-(w_relative * features.relative + w_coverage * features.coverage + bias)))


def record_scores(result: SearchResult, composer: AnswerComposer) -> list[float]:
    """Relevance of every hit of a search, in rank order."""
    return [relevance(f) for f in score_features(result, composer)]
