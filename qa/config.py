"""Service settings, from environment variables prefixed `POLICY_QA_` (pydantic-settings)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.backend import BackendKind
from index.dense import EncoderConfig
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
    backend: BackendKind = Field(BackendKind.EMBEDDED, description="where BM25 and vectors are searched")
    milvus_uri: str = Field(str(DATA_DIR / "milvus.db"),
                            description="backend=milvus: a Milvus Lite file (….db) or a server (http://host:19530)")
    milvus_alias: str = Field("policy_qa", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,200}$",
                              description="backend=milvus: the alias naming the served collection")

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
            encoder=EncoderConfig(self.model, self.query_prompt, self.passage_prompt, quantize=self.quantize),
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


@cache
def get_settings() -> Settings:
    return Settings()
