"""Sweep of the query-time retrieval settings on a gold set, to choose the defaults by measurement.

    python -m eval.sweep [--gold FILE]

Query embeddings are computed once and reused, so a sweep of dozens of settings takes seconds
per setting. Prints one row per setting; the chosen defaults live in qa/config.py.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from eval.gold import GOLD_PATH, load_gold
from eval.report import metrics_table
from eval.runner import build_qrels, run_mode
from index.fusion import FusionMethod
from index.lexical import BM25Params
from index.retriever import Mode, Retriever
from index.scope import ScopeMode
from qa.config import Settings

VARIANTS: dict[str, dict] = {
    "bm25": {"mode": Mode.BM25},
    "dense": {"mode": Mode.DENSE},
    "rrf 1:1": {"fusion": FusionMethod.RRF, "weights": (1.0, 1.0)},
    "rrf 2:1": {"fusion": FusionMethod.RRF, "weights": (2.0, 1.0)},
    "rrf 3:1": {"fusion": FusionMethod.RRF, "weights": (3.0, 1.0)},
    "rrf 2:1 k=20": {"fusion": FusionMethod.RRF, "weights": (2.0, 1.0), "rrf_k": 20},
    "weighted .5/.5": {"fusion": FusionMethod.WEIGHTED, "weights": (0.5, 0.5)},
    "weighted .6/.4": {"fusion": FusionMethod.WEIGHTED, "weights": (0.6, 0.4)},
    "weighted .7/.3": {"fusion": FusionMethod.WEIGHTED, "weights": (0.7, 0.3)},
    "weighted .8/.2": {"fusion": FusionMethod.WEIGHTED, "weights": (0.8, 0.2)},
}
SCOPES: dict[str, dict] = {
    "scope off": {"scope": ScopeMode.OFF},
    "scope filter": {"scope": ScopeMode.FILTER},
    "boost 1.2": {"scope": ScopeMode.BOOST, "scope_boost": 1.2},
    "boost 1.5": {"scope": ScopeMode.BOOST, "scope_boost": 1.5},
}
BM25 = {f"k1={k1} b={b}": {"bm25": BM25Params(k1, b)} for k1, b in
        ((1.2, 0.75), (0.9, 0.4), (1.2, 0.5), (1.5, 0.75), (1.8, 0.75), (1.2, 0.9))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=GOLD_PATH)
    args = parser.parse_args(argv)
    settings = Settings()
    base = Retriever.open(settings.retriever_config())
    gold = load_gold(args.gold)
    qrels = build_qrels(gold, base.passages)
    default = {"scope": settings.scope, "scope_boost": settings.scope_boost}

    def measure(title: str, variants: dict[str, dict], fixed: dict) -> None:
        reports = []
        for name, change in variants.items():
            change = {**fixed, **change}
            mode = change.pop("mode", Mode.HYBRID)
            config = dataclasses.replace(base.config, **change)
            retriever = Retriever(base.stored, base.encoder, base.tokenizer, config)
            search = lambda q, r=retriever, m=mode: r.search(q, mode=m, top_k=10)  # noqa: E731
            reports.append(run_mode(name, search, gold, qrels, None, progress=False))
        print(f"\n## {title}\n")
        print(metrics_table(reports))

    measure("fusion (scope boost 1.5)", VARIANTS, default)
    best = {"fusion": settings.fusion, "weights": (settings.weight_bm25, settings.weight_dense)}
    measure("named place/year: filter or boost (default fusion)", SCOPES, {**default, **best})
    measure("BM25 k1 and b (default fusion)", BM25, {**default, **best})


if __name__ == "__main__":
    main()
