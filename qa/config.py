"""Service settings, from environment variables prefixed `POLICY_QA_` (pydantic-settings)."""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
from functools import cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from corpus.documents import DOCUMENTS_DIR, LIBRARY_ROOT, open_library
from corpus.library import Library
from index.backend import BackendKind
from index.batching import BatchingConfig
from index.dense import EncoderConfig, QueryBackend
from index.fusion import FusionMethod
from index.lexical import BM25Params
from index.retriever import Mode, RetrieverConfig
from index.scope import ScopeMode

REPO_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_DIR / ".data"
log = logging.getLogger(__name__)


class UnsafeBinding(RuntimeError):
    """Serving beyond loopback without an API key chosen by the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLICY_QA_")

    documents_dir: Path = Field(DOCUMENTS_DIR, description="the library: every .txt/.md/.docx/.pdf/.html file in it "
                                "is a document (default: the bundled plans)")
    reviewed_record: Path | None = Field(None, description="reviewed metadata overriding extracted fields, by doc_id "
                                         "(default: reviewed.json in the documents folder, if any)")
    library_dir: Path = Field(LIBRARY_ROOT, description="library records: extracted metadata and converted texts")
    index_dir: Path = Field(DATA_DIR / "index", description="where the built index lives (a symlink)")
    model: str = Field(str(DATA_DIR / "models" / "multilingual-e5-small"),
                       description="embedding model: a local folder or a hub id such as BAAI/bge-small-zh-v1.5")
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "
    quantize: bool = Field(False, description="int8 embedding model: ~2× faster queries, slightly different vectors")
    max_chars: int = Field(500, ge=100, le=2000, description="longest passage the parser emits")
    backend: BackendKind = Field(BackendKind.EMBEDDED, description="where BM25 and vectors are searched")
    milvus_uri: str = Field(str(DATA_DIR / "milvus.db"),
                            description="backend=milvus: a Milvus Lite file (….db) or a server (http://host:19530)")
    milvus_alias: str = Field("policy_qa", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,200}$",
                              description="backend=milvus: the alias naming the served collection")
    # `policy-qa bench encoders` (README, "Query encoders"): the ONNX export gives torch's vectors
    # (cosine 1.0000, the same gold figures) in half the time. onnx-int8 was faster still and within
    # 0.005 on R@1 / MRR@10 (2026-12-06: hybrid 0.850 / 0.908, answers F1 0.464), but dynamic int8 scales
    # activations per batch, so under load a question's vector depends on the questions batched with it
    # (cosine 0.9975 to its vector alone): answers would change with traffic. A setting, measured.
    query_backend: QueryBackend = Field(QueryBackend.ONNX, description="what embeds questions (passages: torch)")
    onnx_dir: Path = Field(DATA_DIR / "onnx", description="where the ONNX query encoder is exported on first use")
    # All cores but one: request threads (tokenising, BM25, answers, JSON: Python, one core at most
    # under the GIL) keep the other. On a shared machine, fewer threads also avoid OpenMP's barriers
    # waiting on preempted threads (measured at load 20 on 2 cores: 1 thread ~1 s a question, 2 ~12 s).
    threads: int = Field(max(1, (os.cpu_count() or 1) - 1), ge=1,
                         description="threads of the query encoder (set once, in its worker)")

    # Load: encoder workers embed the questions of concurrent requests together (index/batching.py).
    # 16 is what a full in-flight bound can queue, so under load every request waits for one pass at most.
    embed_batch_size: int = Field(16, ge=1, le=256, description="questions per forward pass")
    # A lone request starts at once. Waiting for a batch to fill only adds latency: on a CPU a pass
    # costs about the same per question whatever the batch, and under load the queue fills while
    # the previous pass runs.
    embed_max_wait_ms: float = Field(0.0, ge=0, le=100, description="how long a batch waits to fill")
    # On a CPU a batch costs about the same per question as single ones, so under load the cores, not
    # batching, set the pace: with the ONNX backends (one session runs from several threads) enough
    # workers that workers × `threads` cover the cores (2 cores: 2 workers of 1 thread; `policy-qa bench
    # api`, 8 clients: 1.6× the requests per second of one worker). Other backends: one worker.
    embed_workers: int | None = Field(None, ge=1, le=64,
                                      description="encoder threads that run passes at once, sharing one model")
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

    # Chosen on the gold set (README, "Abstention"): abstain when no top passage holds this share of the
    # question's terms (IDF-weighted), or when a question for a figure or date finds none stated about
    # its subject (qa/answer.py) ...
    abstain_min_coverage: float = Field(0.35, ge=0, le=1)
    # ... or when no passage's cosine reaches this (0 disables). Off: with the figure rule it only added
    # false abstentions on the gold set (7.5% → 9.3%, same abstention). A model-specific value.
    abstain_min_dense: float = Field(0.0, ge=0, le=1)
    # No shared default: without POLICY_QA_API_KEY each install generates its own key (api_key_file).
    api_key: SecretStr | None = Field(None, description="bearer key for /retrieval and for changing the library")
    api_key_file: Path = Field(DATA_DIR / "api_key", description="where the generated key is kept (mode 0600)")

    # Limits (README, "Limits"): checked before any work is done for a request.
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="largest request body; larger gets 413")
    header_timeout: float = Field(10.0, gt=0, description="seconds a client may take to send its request headers")
    body_timeout: float = Field(10.0, gt=0, description="seconds a client may pause while sending the body (408)")
    request_deadline: float = Field(30.0, gt=0, description="seconds before a request is answered 503")
    change_deadline: float = Field(900.0, gt=0, description="the same for adding documents (their passages are "
                                   "embedded while the service keeps answering)")

    def retrieval_key(self) -> bytes:
        """The /retrieval key as bytes: POLICY_QA_API_KEY, else this install's generated key."""
        if self.api_key is not None and self.api_key.get_secret_value():
            return self.api_key.get_secret_value().encode("utf-8")
        return _install_key(self.api_key_file)

    def check_binding(self, host: str) -> None:
        """Refuse to listen beyond loopback unless the operator chose the key."""
        if _is_loopback(host) or (self.api_key is not None and self.api_key.get_secret_value()):
            return
        raise UnsafeBinding(
            f"refusing to serve on {host}: beyond loopback the /retrieval key must be chosen, not generated. "
            f"Set POLICY_QA_API_KEY (for example to the generated key: "
            f"POLICY_QA_API_KEY=$(cat {self.api_key_file})) or serve on 127.0.0.1.")

    def library(self) -> Library:
        return open_library(self.documents_dir, self.reviewed_record, self.max_chars, self.library_dir)

    @field_validator("milvus_uri")
    @classmethod
    def _milvus_uri_is_a_file_or_server(cls, uri: str) -> str:
        if not (uri.endswith(".db") or uri.startswith(("http://", "https://", "tcp://", "unix:"))):
            raise ValueError(f"{uri!r} is neither a Milvus Lite file ending in .db nor a server address "
                             "such as http://localhost:19530")
        return uri

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
            backend=self.backend,
            milvus_uri=self.milvus_uri,
            milvus_alias=self.milvus_alias,
        )

    def batching_config(self) -> BatchingConfig:
        # The queue never holds more than the requests in flight; the same bound guards other callers.
        return BatchingConfig(self.embed_batch_size, self.embed_max_wait_ms, self.max_in_flight, self.embed_timeout,
                              self.retry_after, self.encoder_workers())

    def encoder_workers(self) -> int:
        if self.embed_workers is not None:
            return self.embed_workers
        if self.query_backend in (QueryBackend.ONNX, QueryBackend.ONNX_INT8):
            return max(1, (os.cpu_count() or 1) // self.threads)
        return 1


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve beyond this machine


def _install_key(path: Path) -> bytes:
    """Read this install's key, generating it (owner-only file) on first use. The key is never logged."""
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(secrets.token_urlsafe(32) + "\n")
        try:
            os.link(draft, path)  # atomic and never overwrites: concurrent first starts agree on one key
            log.warning("generated an API key for /retrieval; read it with: cat %s", path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    if path.stat().st_mode & 0o077:
        log.warning("%s is readable by other users; run: chmod 600 %s", path, path)
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise ValueError(f"{path} is empty: delete it to generate a new key, or set POLICY_QA_API_KEY")
    return key.encode("utf-8")


@cache
def get_settings() -> Settings:
    return Settings()
