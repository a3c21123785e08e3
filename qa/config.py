"""Service settings, from environment variables prefixed `POLICY_QA_` (pydantic-settings)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    max_chars: int = Field(500, ge=100, le=2000, description="longest passage the parser emits")

    default_mode: Mode = Mode.HYBRID
    default_top_k: int = Field(5, ge=1, le=50)
    fusion: FusionMethod = FusionMethod.RRF
    rrf_k: int = 60
    weight_bm25: float = 1.0
    weight_dense: float = 1.0
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    scope: ScopeMode = ScopeMode.BOOST
    scope_boost: float = 1.5

    abstain_threshold: float = Field(0.0, description="abstain when the top hit's evidence score is below this")
    api_key: str = Field("policy-qa-dev-key", description="bearer key for the Dify /retrieval endpoint")

    def retriever_config(self) -> RetrieverConfig:
        return RetrieverConfig(
            index_dir=self.index_dir,
            encoder=EncoderConfig(self.model, self.query_prompt, self.passage_prompt),
            bm25=BM25Params(self.bm25_k1, self.bm25_b),
            fusion=self.fusion,
            rrf_k=self.rrf_k,
            weights=(self.weight_bm25, self.weight_dense),
            scope=self.scope,
            scope_boost=self.scope_boost,
            max_chars=self.max_chars,
        )


@cache
def get_settings() -> Settings:
    return Settings()
