"""Fits and checks the Dify record score (qa/record_score.py) on a gold set.

    python -m eval.dify_threshold [--gold FILE] [--top-k 10]

For every gold question, the top hybrid hits are labelled with the gold relevance rule and
described by the score's features. A class-balanced logistic regression (scikit-learn) is fitted
on them and its constants printed, next to the figures of the constants stored in
qa/record_score.py at Dify's threshold 0.5:

- kept: answerable questions whose relevant passage (any of them) scores ≥ 0.5, out of all
  answerable questions (a question whose relevant passage is not retrieved counts as lost);
- dropped: non-relevant records scoring < 0.5, and records of unanswerable questions < 0.5;
- the same figures with 5-fold cross-validation (folds by question), for the fitted model.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from eval.gold import GOLD_PATH, load_gold
from eval.runner import build_qrels
from qa.config import Settings
from qa.record_score import BIAS, WEIGHT_COVERAGE, WEIGHT_RELATIVE, ScoreFeatures, relevance, score_features
from qa.service import QAService

THRESHOLD = 0.5


@dataclass
class Samples:
    features: np.ndarray  # (records, 2): relative, coverage
    relevant: np.ndarray  # bool per record
    answerable: np.ndarray  # bool per record: its question is answerable
    question: np.ndarray  # question id per record


@dataclass(frozen=True)
class Figures:
    kept: float
    dropped_irrelevant: float
    dropped_unanswerable: float

    def __str__(self) -> str:
        return (f"relevant passage kept for {self.kept:.1%} of answerable questions; "
                f"{self.dropped_irrelevant:.1%} of non-relevant records dropped; "
                f"{self.dropped_unanswerable:.1%} of unanswerable questions' records dropped")


def collect(service: QAService, gold_path: Path, top_k: int) -> Samples:
    questions = load_gold(gold_path)
    qrels = build_qrels(questions, service.retriever.passages)
    rows, relevant, answerable, qid = [], [], [], []
    for q in questions:
        result = service.retriever.search(q.question, top_k=top_k)
        for hit, f in zip(result.hits, score_features(result, service.composer)):
            rows.append((f.relative, f.coverage))
            relevant.append(hit.passage.passage_id in qrels.get(q.id, {}))
            answerable.append(q.answerable)
            qid.append(q.id)
    return Samples(np.array(rows), np.array(relevant), np.array(answerable), np.array(qid))


def figures(samples: Samples, scores: np.ndarray) -> Figures:
    answerable_ids = set(samples.question[samples.answerable])
    kept_ids = set(samples.question[samples.relevant & (scores >= THRESHOLD)])
    dropped = scores < THRESHOLD
    return Figures(len(kept_ids & answerable_ids) / len(answerable_ids),
                   float(dropped[~samples.relevant].mean()),
                   float(dropped[~samples.answerable].mean()))


def fit(features: np.ndarray, relevant: np.ndarray) -> tuple[float, float, float]:
    model = LogisticRegression(class_weight="balanced", max_iter=1000).fit(features, relevant)
    (w_relative, w_coverage), bias = model.coef_[0], model.intercept_[0]
    return float(w_relative), float(w_coverage), float(bias)


def scores_of(features: np.ndarray, weights: tuple[float, float, float]) -> np.ndarray:
    return np.array([relevance(ScoreFeatures(r, c), weights) for r, c in features])


def cross_validated(samples: Samples, folds: int = 5) -> np.ndarray:
    scores = np.zeros(len(samples.relevant))
    for train, test in GroupKFold(folds).split(samples.features, samples.relevant, samples.question):
        scores[test] = scores_of(samples.features[test], fit(samples.features[train], samples.relevant[train]))
    return scores


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=GOLD_PATH)
    parser.add_argument("--top-k", type=int, default=10)
    args = parser.parse_args(argv)
    # One question at a time, offline: no reason to give up on a slow embedding as the server does.
    samples = collect(QAService.load(Settings(embed_timeout=300)), args.gold, args.top_k)
    fitted = fit(samples.features, samples.relevant)
    stored = (WEIGHT_RELATIVE, WEIGHT_COVERAGE, BIAS)
    print(f"gold: {args.gold}; {len(samples.relevant)} records (top {args.top_k}), "
          f"{int(samples.relevant.sum())} relevant")
    print("fitted: WEIGHT_RELATIVE = {:.2f}, WEIGHT_COVERAGE = {:.2f}, BIAS = {:.2f}".format(*fitted))
    print("stored: WEIGHT_RELATIVE = {:.2f}, WEIGHT_COVERAGE = {:.2f}, BIAS = {:.2f}".format(*stored))
    print(f"at threshold {THRESHOLD}, stored constants: {figures(samples, scores_of(samples.features, stored))}")
    print(f"at threshold {THRESHOLD}, 5-fold cross-validated fit: {figures(samples, cross_validated(samples))}")


if __name__ == "__main__":
    main()
