"""Evaluation output: the console table, misses, and the files (JSON, markdown, TREC, PNG)."""

from __future__ import annotations

import json
from pathlib import Path

from eval.runner import CUTOFFS, ModeReport

COLUMNS = [("R@1", "{:.3f}"), ("R@3", "{:.3f}"), ("R@5", "{:.3f}"), ("R@10", "{:.3f}"), ("MRR@10", "{:.3f}"),
           ("nDCG@10", "{:.3f}"), ("cross@5", "{:.3f}"), ("cross@10", "{:.3f}"), ("abstain", "{:.3f}"),
           ("false_abstain", "{:.3f}"), ("len_mean", "{:.0f}"), ("len_max", "{:.0f}"), ("p50_ms", "{:.1f}"),
           ("p95_ms", "{:.1f}")]
ANSWER_COLUMNS = [("ans_recall", "{:.3f}"), ("ans_precision", "{:.3f}"), ("ans_f1", "{:.3f}"),
                  ("evidence_in", "{:.3f}"), ("complete", "{:.3f}"), ("abstain", "{:.3f}"), ("false_abstain", "{:.3f}"),
                  ("top_recall", "{:.3f}"), ("top_f1", "{:.3f}")]
KIND_COLUMNS = [("questions", "{:.0f}"), ("R@1", "{:.3f}"), ("R@5", "{:.3f}"), ("R@10", "{:.3f}"),
                ("MRR@10", "{:.3f}"), ("cross@10", "{:.3f}"), ("abstain", "{:.3f}")]


def _table(rows: list[tuple[str, dict[str, float]]], columns: list[tuple[str, str]], first: str) -> str:
    header = [first] + [name for name, _ in columns]
    body = [[label] + [fmt.format(m[name]) if name in m else "-" for name, fmt in columns] for label, m in rows]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, body)])


def metrics_table(reports: list[ModeReport]) -> str:
    return _table([(r.name, r.metrics) for r in reports], COLUMNS, "mode")


def kind_table(report: ModeReport) -> str:
    return _table(sorted(report.by_kind.items()), KIND_COLUMNS, "kind")


def answer_table(reports: list[ModeReport]) -> str:
    """Answers against the gold `answer` (LCS), beside the whole top passage as the answer (top_*)."""
    return _table([(r.name, r.metrics) for r in reports], ANSWER_COLUMNS, "mode")


def answer_kind_table(report: ModeReport) -> str:
    return _table(sorted(report.by_kind.items()), [("questions", "{:.0f}")] + ANSWER_COLUMNS, "kind")


def misses(report: ModeReport, k: int = 5, shown: int = 3) -> str:
    """Answerable questions without a relevant passage in the top k, with what came instead."""
    lines = []
    for o in report.outcomes:
        q = o.question
        if q.answerable and (o.first_relevant is None or o.first_relevant > k):
            where = f"first relevant at rank {o.first_relevant}" if o.first_relevant else "no relevant passage in top 10"
            lines.append(f"- {q.id} [{q.kind}] {q.question}  ({where})")
            lines.append(f"    expected: {' / '.join(q.evidence)}  ({', '.join(d[:3] for d in q.docs)})")
            for hit in o.result.hits[:shown]:
                text = hit.passage.text.replace("\n", " ")[:70]
                lines.append(f"    got #{hit.rank} {hit.document.doc_id[:3]} {hit.document.region}: {text}")
    return "\n".join(lines) or "(none)"


def write_outputs(reports: list[ModeReport], qrels: dict[str, dict[str, int]], out_dir: Path, gold: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    summary = {"gold": str(gold), "modes": {r.name: {"metrics": r.metrics, "by_kind": r.by_kind} for r in reports}}
    written.append(_write(out_dir / "metrics.json", json.dumps(summary, ensure_ascii=False, indent=2)))
    markdown = [f"# Retrieval evaluation\n\nGold: `{gold}`\n", metrics_table(reports),
                "\n## Answers (LCS against the gold answer)\n", answer_table(reports)]
    for r in reports:
        markdown += [f"\n## {r.name}: by kind\n", kind_table(r), f"\n### {r.name}: answers by kind\n",
                     answer_kind_table(r), f"\n### {r.name}: misses at 5\n", misses(r)]
    written.append(_write(out_dir / "report.md", "\n".join(markdown) + "\n"))
    qrel_lines = [f"{qid} 0 {pid} {rel}" for qid, rels in qrels.items() for pid, rel in rels.items()]
    written.append(_write(out_dir / "qrels.txt", "\n".join(qrel_lines) + "\n"))
    for r in reports:
        lines = []
        for qid, ranked in r.run.items():
            for rank, (pid, score) in enumerate(sorted(ranked.items(), key=lambda x: -x[1]), start=1):
                lines.append(f"{qid} Q0 {pid} {rank} {score:.6f} {r.name}")
        written.append(_write(out_dir / f"run.{r.name}.trec", "\n".join(lines) + "\n"))
    written.append(plot_recall(reports, out_dir / "recall_at_k.png"))
    return written


def plot_recall(reports: list[ModeReport], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # no display on servers
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for r in reports:
        ax.plot(CUTOFFS, [r.metrics.get(f"R@{k}", 0) for k in CUTOFFS], marker="o", label=r.name)
    ax.set_xlabel("k")
    ax.set_ylabel("R@k (share of answerable questions)")
    ax.set_xticks(CUTOFFS)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("Recall at k per retrieval mode")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
