"""Service settings, from environment variables prefixed `POLICY_QA_` (pydantic-settings)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.batching import BatchingConfig
from index.dense import EncoderConfig, QueryBackend
from index.fusion import FusionMethod
from index.lexical import BM25Params
from index.retriever import Mode, RetrieverConfig
from index.scope import ScopeMode

REPO_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_DIR / ".data"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLICY_QA_")

    index_dir: Path = Field(DATA_DIR / "index", description="where the built index lives (a symlink)")
    model: str = Field(str(DATA_DIR / "models" / "multilingual-e5-small"),
                       description="embedding model: a local folder or a hub id such as BAAI/bge-small-zh-v1.5")
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "
    quantize: bool = Field(False, description="int8 embedding model: ~2× faster queries, slightly different vectors")
    max_chars: int = Field(500, ge=100, le=2000, description="longest passage the parser emits")
    # README, "Speed": the faster backends cost retrieval quality on the gold set, so torch stays the default.
    query_backend: QueryBackend = Field(QueryBackend.TORCH, description="what embeds questions (passages: torch)")
    onnx_dir: Path = Field(DATA_DIR / "onnx", description="where the ONNX query encoder is exported on first use")
    threads: int = Field(os.cpu_count() or 1, ge=1, description="threads of the query encoder (set once, in its worker)")

    # Load: one worker embeds the questions of concurrent requests together (index/batching.py).
    # A forward pass of 16 short questions costs a few single ones on 2 cores, and 16 is what a
    # full in-flight bound can queue, so under load every request waits for one pass at most.
    embed_batch_size: int = Field(16, ge=1, le=256, description="questions per forward pass")
    # A lone request starts at once; 2 ms lets requests arriving together share a pass. Longer
    # only adds latency: under load the queue fills while the previous pass runs.
    embed_max_wait_ms: float = Field(2.0, ge=0, le=100, description="how long a batch waits to fill")
    # /api/ask, /api/search and /retrieval requests served at once; one more gets 503 with
    # Retry-After at once. On 2 cores 16 keep the encoder's batches full while bounding the wait
    # to about one batch plus 16 answers (`policy-qa bench api`: p99 at 64 clients).
    max_in_flight: int = Field(16, ge=1, le=1024, description="requests in flight before shedding (503)")
    # A healthy worker answers in well under a second at the bound; this only catches a stalled one.
    embed_timeout: float = Field(5.0, gt=0, le=300, description="seconds a question waits for its embedding (503)")
    retry_after: int = Field(1, ge=1, le=3600, description="Retry-After seconds on a shed request")

    default_mode: Mode = Mode.HYBRID
    default_top_k: int = Field(5, ge=1, le=50)
    fusion: FusionMethod = FusionMethod.WEIGHTED  # chosen by `python -m eval.sweep` (see README)
    rrf_k: int = 60
    weight_bm25: float = 0.7
    weight_dense: float = 0.3
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    scope: ScopeMode = ScopeMode.BOOST
    scope_boost: float = 1.5

    # Chosen on the gold set's unanswerable questions (README, "Abstention"): abstain when the top
    # passage holds under this share of the question's terms (IDF-weighted) ...
    abstain_min_coverage: float = Field(0.5, ge=0, le=1)
    # ... or when no passage's cosine reaches this. Specific to the bundled e5-small, whose
    # cosines crowd into 0.8-0.92: another model needs its own value (0 disables).
    abstain_min_dense: float = Field(0.86, ge=0, le=1)
    api_key: str = Field("policy-qa-dev-key", description="bearer key for the Dify /retrieval endpoint")

    def retriever_config(self) -> RetrieverConfig:
        return RetrieverConfig(
            index_dir=self.index_dir,
            encoder=EncoderConfig(self.model, self.query_prompt, self.passage_prompt, quantize=self.quantize,
                                  query_backend=self.query_backend, threads=self.threads, onnx_dir=self.onnx_dir),
            bm25=BM25Params(self.bm25_k1, self.bm25_b),
            fusion=self.fusion,
            rrf_k=self.rrf_k,
            weights=(self.weight_bm25, self.weight_dense),
            scope=self.scope,
            scope_boost=self.scope_boost,
            max_chars=self.max_chars,
        )

    def batching_config(self) -> BatchingConfig:
        # The queue never holds more than the requests in flight; the same bound guards other callers.
        return BatchingConfig(self.embed_batch_size, self.embed_max_wait_ms, self.max_in_flight, self.embed_timeout,
                              self.retry_after)


@cache
def get_settings() -> Settings:
    return Settings()
