"""A smoke evaluation on the gold set: floors a little under the measured figures, so a retrieval or
answer regression fails CI. Measured (policy-qa eval): hybrid R@1 0.846 R@5 0.972 MRR@10 0.905
cross@10 0.810; bm25 0.822/0.963/0.890; dense 0.678/0.869/0.761. Answers (hybrid, 2026-12-06, second
session): LCS recall 0.854, F1 0.505, comparisons complete 1.000, evidence in answer 0.827; abstain 0.857,
false 0.009."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.gold import load_gold
from eval.report import write_outputs
from eval.runner import ModeReport, build_qrels, run_mode
from eval.answers import ComposedAnswer
from index.retriever import Mode, SearchResult
from qa.answer import ANSWER_DEPTH
from qa.service import QAService

FLOORS = {
    Mode.HYBRID: {"R@1": 0.82, "R@5": 0.95, "MRR@10": 0.88, "cross@10": 0.75, "abstain": 0.80,
                  "ans_recall": 0.82, "ans_f1": 0.47, "complete": 0.90, "evidence_in": 0.78},
    Mode.BM25: {"R@1": 0.79, "R@5": 0.94, "MRR@10": 0.86},
    Mode.DENSE: {"R@1": 0.63, "R@5": 0.83, "MRR@10": 0.72},
}


@pytest.fixture(scope="module")
def reports(service: QAService) -> dict[Mode, ModeReport]:
    gold = load_gold()
    qrels = build_qrels(gold, service.retriever.passages)
    def answer(result: SearchResult) -> ComposedAnswer:
        composed = service.composer.compose(result)
        return ComposedAnswer(composed.text, composed.abstained, tuple(p.label for p in composed.parts))

    return {mode: run_mode(mode.value, lambda q, m=mode: service.retriever.search(q, mode=m, top_k=ANSWER_DEPTH),
                           gold, qrels, None, progress=False, answer=answer, documents=service.retriever.documents)
            for mode in Mode}


@pytest.mark.parametrize("mode", list(Mode))
def test_metrics_stay_above_their_floors(reports: dict[Mode, ModeReport], mode: Mode) -> None:
    metrics = reports[mode].metrics
    for name, floor in FLOORS[mode].items():
        assert metrics[name] >= floor, f"{mode} {name} {metrics[name]:.3f} fell under {floor}"


def test_hybrid_beats_both_single_modes(reports: dict[Mode, ModeReport]) -> None:
    for name in ("R@5", "MRR@10"):
        assert reports[Mode.HYBRID].metrics[name] > reports[Mode.BM25].metrics[name]
        assert reports[Mode.HYBRID].metrics[name] > reports[Mode.DENSE].metrics[name]


def test_false_abstention_stays_low(reports: dict[Mode, ModeReport]) -> None:
    assert reports[Mode.HYBRID].metrics["false_abstain"] <= 0.03


def test_answers_beat_the_whole_top_passage_on_f1(reports: dict[Mode, ModeReport]) -> None:
    metrics = reports[Mode.HYBRID].metrics
    assert metrics["ans_f1"] > metrics["top_f1"]


def test_passages_stay_short(reports: dict[Mode, ModeReport]) -> None:
    metrics = reports[Mode.HYBRID].metrics
    assert metrics["len_mean"] <= 350 and metrics["len_max"] <= 600


def test_outputs_are_written(reports: dict[Mode, ModeReport], tmp_path: Path, service: QAService) -> None:
    gold = load_gold()
    written = write_outputs(list(reports.values()), build_qrels(gold, service.retriever.passages), tmp_path,
                            Path("eval/gold.jsonl"))
    names = {p.name for p in written}
    assert {"metrics.json", "report.md", "qrels.txt", "recall_at_k.png", "run.hybrid.trec"} <= names
    run_line = (tmp_path / "run.hybrid.trec").read_text().splitlines()[0].split()
    assert len(run_line) == 6 and run_line[1] == "Q0"
    assert (tmp_path / "recall_at_k.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
