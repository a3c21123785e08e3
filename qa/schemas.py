"""Request and response models of the HTTP API (pydantic: validated in, documented at /docs)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from index.retriever import Mode

MAX_QUESTION = 500
INVISIBLE = re.compile(r"[\s\u200b-\u200f\u2060\ufeff]+")


def _visible_text(value: object, name: str) -> object:
    """Strip surrounding whitespace and zero-width marks; refuse text that has nothing visible."""
    if not isinstance(value, str):
        return value  # the type check reports it
    value = INVISIBLE.sub(" ", value).strip()
    if not value:
        raise ValueError(f"{name} must contain text (it is empty, whitespace or invisible characters)")
    return value


class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    city: list[str] = Field(default_factory=list, description="city or county, e.g. 焦作市, 修武县 (焦作市 includes 修武县)")
    year: list[int] = Field(default_factory=list, description="year of the plan, e.g. 2019")
    doc_id: list[str] = Field(default_factory=list, description="document ids from GET /api/documents")


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"question": "高压用户报装时限是多少", "top_k": 5, "mode": "hybrid"}]})

    question: str = Field(max_length=MAX_QUESTION, description="the question, 1-500 characters")
    top_k: int = Field(5, ge=1, le=50)
    mode: Mode = Mode.HYBRID
    filters: Filters = Field(default_factory=Filters)

    @field_validator("question", mode="before")
    @classmethod
    def question_has_text(cls, value: object) -> object:
        return _visible_text(value, "question")


class SourceOut(BaseModel):
    file: str
    line_start: int
    line_end: int
    char_start: int = Field(description="offset into the document text (GET /api/documents/{doc_id})")
    char_end: int


class ChannelScores(BaseModel):
    bm25: float | None = Field(description="BM25 score (None: not among the lexical candidates)")
    dense: float | None = Field(description="cosine similarity of the embeddings")
    fused: float = Field(description="the score the ranking used")
    bm25_rank: int | None
    dense_rank: int | None


class PassageOut(BaseModel):
    rank: int
    passage_id: str
    text: str
    score: float
    scores: ChannelScores
    doc_id: str
    doc_title: str
    doc_number: str
    city: str
    county: str | None
    region: str
    year: int
    section_path: list[str]
    kind: str
    responsible: list[str]
    deadline: str | None
    source: SourceOut
    highlights: list[tuple[int, int]] = Field(description="[start, end) offsets into text")


class AnswerPartOut(BaseModel):
    label: str = Field(description="city or county and year, e.g. 焦作市 2019")
    text: str
    highlights: list[tuple[int, int]]
    citation: int = Field(description="rank of the cited passage")


class AnswerOut(BaseModel):
    text: str
    abstained: bool
    confidence: float = Field(description="share (0-1, IDF-weighted) of the question's terms in the top passage")
    citations: list[int]
    parts: list[AnswerPartOut]


class AppliedFilters(BaseModel):
    city: list[str]
    year: list[int]
    doc_id: list[str]
    named_in_question: dict[str, list[str | int]] = Field(
        description="places and years recognised in the question, used to rank their documents first")


class SearchResponse(BaseModel):
    question: str
    mode: Mode
    passages: list[PassageOut]
    applied_filters: AppliedFilters
    timings_ms: dict[str, float]


class AskResponse(SearchResponse):
    answer: AnswerOut


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    issuer: str
    doc_number: str
    province: str
    city: str
    county: str | None
    region: str
    year: int
    date: str | None
    file: str
    passages: int


class DocumentDetail(DocumentOut):
    text: str


class Health(BaseModel):
    status: Literal["ok", "loading", "failed"]
    detail: str | None = None
    passages: int | None = None
    backend: str | None = Field(None, description="where BM25 and vectors are searched (POLICY_QA_BACKEND)")


# Dify External Knowledge API (https://docs.dify.ai: "External Knowledge API")
class DifyRetrievalSetting(BaseModel):
    top_k: int = Field(ge=1, le=50)
    score_threshold: float = Field(0.0, ge=0.0, le=1.0)


class DifyCondition(BaseModel):
    name: list[str]
    comparison_operator: str
    value: str | None = None


class DifyMetadataCondition(BaseModel):
    logical_operator: Literal["and", "or"] = "and"
    conditions: list[DifyCondition]


class DifyRetrievalRequest(BaseModel):
    knowledge_id: str
    query: str = Field(max_length=MAX_QUESTION)
    retrieval_setting: DifyRetrievalSetting
    metadata_condition: DifyMetadataCondition | None = None

    @field_validator("query", mode="before")
    @classmethod
    def query_has_text(cls, value: object) -> object:
        return _visible_text(value, "query")


class DifyRecord(BaseModel):
    content: str
    score: float
    title: str
    metadata: dict[str, str | int | list[str] | None]


class DifyRetrievalResponse(BaseModel):
    records: list[DifyRecord]
