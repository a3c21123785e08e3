"""Runs gold questions through the retriever and scores the rankings with ranx."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ranx import Qrels, Run, evaluate
from tqdm import tqdm

from corpus.models import Document, Passage
from eval.answers import AnswerFn, AnswerScore, ComposedAnswer, answer_metrics, score_answer
from eval.gold import GoldQuestion, Kind
from eval.relevance import matched_evidence
from index.retriever import SearchResult

CUTOFFS = (1, 3, 5, 10)
RANX_METRICS = [f"hit_rate@{k}" for k in CUTOFFS] + ["mrr@10", "ndcg@10"]

# Decides from a search result whether the service would abstain (qa defines it).
AbstainRule = Callable[[SearchResult], bool]
Searcher = Callable[[str], SearchResult]


@dataclass
class QuestionOutcome:
    question: GoldQuestion
    result: SearchResult
    first_relevant: int | None  # 1-based rank of the first relevant passage
    abstained: bool
    answer: ComposedAnswer | None = None
    answer_score: AnswerScore | None = None

    def covered_at(self, k: int) -> bool:
        """Every evidence string shown in the top k (for cross_doc: every city and year)."""
        found: set[int] = set()
        for hit in self.result.hits[:k]:
            found |= matched_evidence(hit.passage.text, self.question.evidence)
        return len(found) == len(self.question.evidence)


@dataclass
class ModeReport:
    name: str
    metrics: dict[str, float]
    by_kind: dict[str, dict[str, float]]
    outcomes: list[QuestionOutcome] = field(repr=False)
    run: dict[str, dict[str, float]] = field(repr=False)


def build_qrels(questions: list[GoldQuestion], passages: list[Passage]) -> dict[str, dict[str, int]]:
    """Every passage of the index that satisfies the relevance rule, per answerable question."""
    qrels = {}
    for q in questions:
        if q.answerable:
            qrels[q.id] = {p.passage_id: 1 for p in passages if matched_evidence(p.text, q.evidence)}
    return qrels


def run_mode(name: str, search: Searcher, questions: list[GoldQuestion], qrels: dict[str, dict[str, int]],
             abstain: AbstainRule | None, top_k: int = 10, progress: bool = True,
             answer: AnswerFn | None = None, documents: dict[str, Document] | None = None) -> ModeReport:
    """Rank every question; with `answer`, also compose and score the answer (its abstention counts)."""
    by_file = {(d.source_file or d.file): d for d in (documents or {}).values()}
    outcomes = []
    for q in tqdm(questions, desc=f"eval {name}", unit="q", disable=not progress, leave=False):
        full = search(q.question)  # the answer may read deeper than the top k
        result = replace(full, hits=full.hits[:top_k])
        relevant = qrels.get(q.id, {})
        first = next((h.rank for h in result.hits if h.passage.passage_id in relevant), None)
        if answer is None:
            outcomes.append(QuestionOutcome(q, result, first, abstain(result) if abstain else False))
            continue
        composed = answer(full)
        scored = score_answer(q, composed, result, by_file) if q.answerable else None
        outcomes.append(QuestionOutcome(q, result, first, composed.abstained, composed, scored))
    run = {o.question.id: {h.passage.passage_id: float(top_k - h.rank + 1) for h in o.result.hits[:top_k]}
           for o in outcomes if o.question.answerable}
    judged = abstain is not None or answer is not None
    metrics = _metrics(outcomes, qrels, run, judged)
    by_kind = {}
    for kind in Kind:
        subset = [o for o in outcomes if o.question.kind is kind]
        if subset:
            by_kind[kind.value] = _metrics(subset, qrels, run, judged)
    return ModeReport(name, metrics, by_kind, outcomes, run)


def _metrics(outcomes: list[QuestionOutcome], qrels: dict, run: dict, with_abstention: bool) -> dict[str, float]:
    answerable = [o for o in outcomes if o.question.answerable]
    unanswerable = [o for o in outcomes if not o.question.answerable]
    metrics: dict[str, float] = {"questions": len(outcomes), "answerable": len(answerable)}
    ids = [o.question.id for o in answerable if qrels.get(o.question.id)]
    if ids:
        # ranx refuses empty runs: a question with no hits is given a never-relevant placeholder.
        sub_run = {qid: run.get(qid) or {"<none>": 0.0} for qid in ids}
        scores = evaluate(Qrels({qid: qrels[qid] for qid in ids}), Run(sub_run), RANX_METRICS, make_comparable=True)
        for k in CUTOFFS:
            metrics[f"R@{k}"] = float(scores[f"hit_rate@{k}"])
        metrics["MRR@10"] = float(scores["mrr@10"])
        metrics["nDCG@10"] = float(scores["ndcg@10"])
    cross = [o for o in answerable if o.question.kind is Kind.CROSS_DOC]
    if cross:
        metrics["cross@5"] = sum(o.covered_at(5) for o in cross) / len(cross)
        metrics["cross@10"] = sum(o.covered_at(10) for o in cross) / len(cross)
    if with_abstention:
        if unanswerable:
            metrics["abstain"] = sum(o.abstained for o in unanswerable) / len(unanswerable)
        if answerable:
            metrics["false_abstain"] = sum(o.abstained for o in answerable) / len(answerable)
    metrics.update(answer_metrics([o.answer_score for o in answerable if o.answer_score is not None]))
    lengths = [len(h.passage.text) for o in outcomes for h in o.result.hits]
    if lengths:
        metrics["len_mean"] = statistics.mean(lengths)
        metrics["len_max"] = max(lengths)
    latencies = sorted(o.result.timings_ms["total"] for o in outcomes)
    metrics["p50_ms"] = statistics.median(latencies)
    metrics["p95_ms"] = latencies[min(len(latencies) - 1, int(round(0.95 * (len(latencies) - 1))))]
    return metrics
