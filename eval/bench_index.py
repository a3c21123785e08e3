"""Index benchmark: build times, per-stage query latency, memory, and the cost curve at 10× and 100×.

    policy-qa bench index [--skip-cold] [--queries N]

Prints medians and p95s; measured on whatever machine runs it (quote the machine with the figures).
"""

from __future__ import annotations

import dataclasses
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from corpus.documents import load_corpus
from eval.gold import load_gold
from index.dense import DenseIndex, Encoder
from index.retriever import Mode, Retriever
from index.store import StoredIndex, build_index
from index.tokenizer import Tokenizer
from qa.config import Settings

STAGES = ("tokenize", "bm25", "embed", "faiss", "fuse", "total")


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):7.2f} ms   p95 {p95:7.2f} ms"


def measure_queries(retriever: Retriever, questions: list[str], cold_embeddings: bool = True) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {stage: [] for stage in STAGES}
    if cold_embeddings:
        retriever.encoder.clear_query_cache()
    retriever.search("预热 warm-up", mode=Mode.HYBRID)  # first call loads lazily-initialised state
    for question in questions:
        result = retriever.search(question, mode=Mode.HYBRID, top_k=10)
        for stage in STAGES:
            timings[stage].append(result.timings_ms.get(stage, 0.0))
    return timings


def synthetic_retriever(base: Retriever, factor: int, seed: int = 0) -> Retriever:
    """A corpus `factor` times larger: passages (and their vectors) resampled from the real ones."""
    rng = random.Random(seed)
    n = len(base.passages) * factor
    picks = [rng.randrange(len(base.passages)) for _ in range(n)]
    vectors = base.stored.dense.index.reconstruct_n(0, len(base.passages))
    passages = [dataclasses.replace(base.passages[i], passage_id=f"{base.passages[i].passage_id}~{k}")
                for k, i in enumerate(picks)]
    stored = StoredIndex(base.stored.path, base.stored.manifest, base.documents, passages,
                         [base.stored.tokens[i] for i in picks], DenseIndex.from_vectors(vectors[picks]))
    return Retriever(stored, base.encoder, base.tokenizer, base.config)


def main(skip_cold: bool = False, queries: int = 200) -> None:
    settings = Settings()
    config = settings.retriever_config()
    corpus = load_corpus(max_chars=config.max_chars)
    encoder, tokenizer = Encoder(config.encoder), Tokenizer()
    print(f"corpus: {len(corpus.documents)} documents, {len(corpus.passages)} passages; model {config.encoder.model}")

    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp) / "index"
        if not skip_cold:
            started = time.perf_counter()
            report = build_index(corpus, index_dir, encoder, tokenizer, config.build_settings(), progress=False)
            print(f"cold build:   {time.perf_counter() - started:7.1f} s  ({report.embedded} passages embedded)")
            started = time.perf_counter()
            report = build_index(corpus, index_dir, encoder, tokenizer, config.build_settings(), progress=False)
            print(f"warm rebuild: {time.perf_counter() - started:7.1f} s  ({report.embedded} embedded, "
                  f"{report.reused} reused)")

    retriever = Retriever.open(config, corpus=corpus)
    questions = [q.question for q in load_gold()][:queries]
    print(f"\nhybrid query latency over {len(questions)} gold questions (query embeddings not cached):")
    timings = measure_queries(retriever, questions)
    for stage in STAGES:
        print(f"  {stage:9s} {_percentiles(timings[stage])}")

    print(f"\npeak RSS with the real corpus loaded and queried: {_peak_rss_mb():.0f} MB")

    print("\ncost curve (synthetic corpora resampled from the real passages):")
    print(f"  {'passages':>9s}  " + "  ".join(f"{s:>16s}" for s in STAGES))
    for factor in (1, 10, 100):
        synthetic = retriever if factor == 1 else synthetic_retriever(retriever, factor)
        t = measure_queries(synthetic, questions[:50], cold_embeddings=True)
        cells = "  ".join(f"{statistics.median(t[s]):7.2f}/{np.percentile(t[s], 95):7.2f}" for s in STAGES)
        print(f"  {len(synthetic.passages):9d}  {cells}   (p50/p95 ms)")
    print(f"\npeak RSS after the synthetic corpora: {_peak_rss_mb():.0f} MB")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
