"""A smoke evaluation on the gold set: floors a little under the measured figures, so a retrieval
regression fails CI. Measured 2026-11-22 (policy-qa eval): hybrid R@1 0.846 R@5 0.972 MRR@10 0.905
cross@10 0.810; bm25 0.822/0.963/0.890; dense 0.678/0.869/0.761; abstain 0.667, false 0.112."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.gold import load_gold
from eval.report import write_outputs
from eval.runner import ModeReport, build_qrels, run_mode
from index.retriever import Mode
from qa.service import QAService

FLOORS = {
    Mode.HYBRID: {"R@1": 0.82, "R@5": 0.95, "MRR@10": 0.88, "cross@10": 0.75, "abstain": 0.55},
    Mode.BM25: {"R@1": 0.79, "R@5": 0.94, "MRR@10": 0.86},
    Mode.DENSE: {"R@1": 0.63, "R@5": 0.83, "MRR@10": 0.72},
}


@pytest.fixture(scope="module")
def reports(service: QAService) -> dict[Mode, ModeReport]:
    gold = load_gold()
    qrels = build_qrels(gold, service.retriever.passages)
    abstain = lambda result: service.composer.should_abstain(result.query, result)  # noqa: E731
    return {mode: run_mode(mode.value, lambda q, m=mode: service.retriever.search(q, mode=m, top_k=10),
                           gold, qrels, abstain, progress=False) for mode in Mode}


@pytest.mark.parametrize("mode", list(Mode))
def test_metrics_stay_above_their_floors(reports: dict[Mode, ModeReport], mode: Mode) -> None:
    metrics = reports[mode].metrics
    for name, floor in FLOORS[mode].items():
        assert metrics[name] >= floor, f"{mode} {name} {metrics[name]:.3f} fell under {floor}"


def test_hybrid_beats_both_single_modes(reports: dict[Mode, ModeReport]) -> None:
    for name in ("R@5", "MRR@10"):
        assert reports[Mode.HYBRID].metrics[name] > reports[Mode.BM25].metrics[name]
        assert reports[Mode.HYBRID].metrics[name] > reports[Mode.DENSE].metrics[name]


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
