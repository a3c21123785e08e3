"""Request and response models of the HTTP API (pydantic: validated in, documented at /docs)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from index.retriever import Mode

MAX_QUESTION = 500
MAX_HISTORY = 20
MAX_FILTER_VALUES = 100  # per filter list: more places or years than any library names
MAX_CONDITIONS = 20
FilterValue = Annotated[str, Field(max_length=200)]
WHITESPACE = re.compile(r"\s+")
# What does not count as text: every character that is whitespace or of Unicode category Cc, Cf,
# Cs, Zs, Zl or Zp (controls, format marks such as U+00AD, U+180E, U+200B, U+2061-2064, U+FEFF,
# separators, surrogates), for Python's Unicode 14 (a test rebuilds it from unicodedata).
BLANK_RANGES = ((0x0000, 0x0020), (0x007F, 0x00A0), (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C),
                (0x06DD, 0x06DD), (0x070F, 0x070F), (0x0890, 0x0891), (0x08E2, 0x08E2), (0x1680, 0x1680),
                (0x180E, 0x180E), (0x2000, 0x200F), (0x2028, 0x202F), (0x205F, 0x2064), (0x2066, 0x206F),
                (0x3000, 0x3000), (0xD800, 0xDFFF), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
                (0x110CD, 0x110CD), (0x13430, 0x13438), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
                (0xE0001, 0xE0001), (0xE0020, 0xE007F))


def _class_item(cp: int) -> str:
    return f"\\u{cp:04x}" if cp < 0x10000 else chr(cp)  # astral characters as themselves (JSON Schema regex)


BLANK_CLASS = "".join(_class_item(a) if a == b else f"{_class_item(a)}-{_class_item(b)}" for a, b in BLANK_RANGES)
BLANK = re.compile(f"[{BLANK_CLASS}]")
# In the OpenAPI schema: at least one character that is not blank (the validator below enforces it).
HAS_TEXT = f"[^{BLANK_CLASS}]"


def _visible_text(value: object, name: str) -> object:
    """Check the length of the text as sent, then turn invisible characters into spaces; refuse
    text with nothing visible."""
    if not isinstance(value, str):
        return value  # the type check reports it
    if len(value) > MAX_QUESTION:  # before any cleaning: padding does not buy a longer request
        raise ValueError(f"{name} must be at most {MAX_QUESTION} characters (it has {len(value)})")
    value = WHITESPACE.sub(" ", BLANK.sub(" ", value)).strip()
    if not value:
        raise ValueError(f"{name} must contain text (it is empty, whitespace or invisible characters)")
    return value


class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    city: list[FilterValue] = Field(default_factory=list, max_length=MAX_FILTER_VALUES,
                                    description="province, city or county, e.g. 河南省, 焦作市, 修武县 (焦作市 includes "
                                                "修武县); GET /api/documents lists the library's places")
    year: list[StrictInt] = Field(default_factory=list, max_length=MAX_FILTER_VALUES,
                                  description="year of the document, e.g. 2019")
    doc_id: list[FilterValue] = Field(default_factory=list, max_length=MAX_FILTER_VALUES,
                                      description="document ids from GET /api/documents")


class Turn(BaseModel):
    """An earlier turn of the conversation, as the client kept it."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(max_length=MAX_QUESTION)
    resolved_question: str | None = Field(None, max_length=2 * MAX_QUESTION,
                                          description="what the service resolved that turn to")


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"question": "高压用户报装时限是多少", "top_k": 5, "mode": "hybrid"}]})

    question: str = Field(max_length=MAX_QUESTION, description="the question, 1-500 characters, not all invisible",
                          json_schema_extra={"minLength": 1, "pattern": HAS_TEXT})
    top_k: int = Field(5, ge=1, le=50, strict=True)
    mode: Mode = Mode.HYBRID
    filters: Filters = Field(default_factory=Filters)
    history: list[Turn] = Field(default_factory=list, max_length=MAX_HISTORY,
                                description="earlier turns, oldest first: a follow-up (那三门峡呢？) is resolved "
                                            "against the last one; the service keeps no state")

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
    page: int | None = Field(None, description="PDF page (1-based) where the passage starts")


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
    doc_number: str | None
    city: str | None
    county: str | None
    region: str
    year: int | None
    label: str = Field(description="how answers name the document: place and year, e.g. 焦作市 2019")
    section_path: list[str]
    kind: str
    lead: list[str] = Field(description="牵头单位, in the order the text names them")
    responsible: list[str] = Field(description="责任单位")
    cooperate: list[str] = Field(description="配合单位")
    deadline: str | None
    source: SourceOut
    highlights: list[tuple[int, int]] = Field(description="[start, end) offsets into text")


class AnswerPartOut(BaseModel):
    label: str = Field(description="place and year, e.g. 焦作市 2019")
    text: str = Field(description="what the document states: the figure's clause, the units, the definition …")
    highlights: list[tuple[int, int]]
    citation: int = Field(description="rank of the cited passage in `passages`")
    doc_id: str
    place: str
    year: int | None
    value: str | None = Field(description="the figure, date or units the part states, when it states one")


class AnswerRowOut(BaseModel):
    """One row of a comparison: a document's answer, side by side with the others."""

    place: str
    year: int | None
    value: str | None
    text: str
    citation: int
    doc_id: str


class AnswerOut(BaseModel):
    text: str
    abstained: bool
    confidence: float = Field(description="share (0-1, IDF-weighted) of the question's terms in the top passages")
    citations: list[int]
    parts: list[AnswerPartOut]
    intent: str = Field(description="what the question asks for: who, when, how_much, definition, list, yes_no, how, document, where")
    reason: str | None = Field(None, description="why no answer was given (abstained), in Chinese")
    rows: list[AnswerRowOut] = Field(default_factory=list,
                                     description="one row per document when several answer, in the order of `parts`")


class AppliedFilters(BaseModel):
    city: list[str]
    year: list[int]
    doc_id: list[str]
    named_in_question: dict[str, list[str | int]] = Field(
        description="places and years recognised in the question, used to rank their documents first")


class SearchResponse(BaseModel):
    question: str
    resolved_question: str = Field(description="what was searched: the question, or a follow-up resolved "
                                               "against the conversation (那三门峡呢 → 三门峡市高压用户报装时限是多少)")
    mode: Mode
    passages: list[PassageOut]
    applied_filters: AppliedFilters
    timings_ms: dict[str, float]


class AskResponse(SearchResponse):
    answer: AnswerOut


class DocumentOut(BaseModel):
    """A document of the library. Fields the text does not state are null (unknown); `guessed` names fields
    inferred rather than read, `reviewed` those set by the reviewed record."""

    doc_id: str
    title: str
    issuer: str | None
    doc_number: str | None
    province: str | None
    city: str | None
    county: str | None
    region: str = Field(description="the most specific place (全国 for national documents)")
    label: str
    year: int | None
    date: str | None
    doc_type: str | None = Field(description="条例, 规定, 办法, 方案, 通知, 意见, 要点, 措施 …")
    level: str | None = Field(description="national, province, city or county")
    effective_date: str | None
    repeals: list[str]
    file: str = Field(description="the text the passages cite (GET /api/documents/{doc_id} serves it)")
    source_file: str | None = Field(description="the file as added to the library")
    source_format: str
    pages: list[int] = Field(description="PDF: offset in the text where each page starts")
    guessed: list[str]
    reviewed: list[str]
    passages: int


class DocumentDetail(DocumentOut):
    text: str


class LibraryChangeOut(BaseModel):
    added: list[DocumentOut]
    removed: list[str]
    passages: int = Field(description="passages in the library after the change")
    embedded: int = Field(description="passages embedded for this change (the others came from the cache)")
    seconds: float


class ErrorOut(BaseModel):
    detail: str = Field(description="what is wrong")


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(BaseModel):
    detail: list[ValidationIssue]
    message: str = Field(description="the issues in one line")


class DifyErrorOut(BaseModel):
    error_code: int = Field(description="1001 malformed Authorization header, 1002 wrong key, 1003 bad request, "
                                        "2001 unknown knowledge_id")
    error_msg: str


class Health(BaseModel):
    status: Literal["ok", "loading", "failed"]
    detail: str | None = None
    passages: int | None = None
    backend: str | None = Field(None, description="where BM25 and vectors are searched (POLICY_QA_BACKEND)")


# Dify External Knowledge API (https://docs.dify.ai: "External Knowledge API")
class DifyRetrievalSetting(BaseModel):
    top_k: int = Field(ge=1, le=50, strict=True)
    score_threshold: float = Field(0.0, ge=0.0, le=1.0, strict=True)


class DifyCondition(BaseModel):
    name: FilterValue | Annotated[list[FilterValue], Field(max_length=MAX_CONDITIONS)] = Field(
        description="metadata field, or fields (older Dify versions send a list)")
    comparison_operator: str = Field(max_length=50, description=(
        "is, is not, contains, not contains, start with, end with, in, not in, empty, not empty, "
        "=, ≠, >, <, ≥, ≤, before, after"))
    value: (FilterValue | int | float | Annotated[list[FilterValue | int | float], Field(max_length=MAX_FILTER_VALUES)]
            | None) = None

    @property
    def names(self) -> list[str]:
        return [self.name] if isinstance(self.name, str) else self.name


class DifyMetadataCondition(BaseModel):
    logical_operator: Literal["and", "or"] = "and"
    conditions: list[DifyCondition] = Field(max_length=MAX_CONDITIONS)


class DifyRetrievalRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"knowledge_id": "policy-qa", "query": "高压用户报装时限", "retrieval_setting": {"top_k": 3, "score_threshold": 0.5}}]})

    knowledge_id: str = Field(max_length=200)
    query: str = Field(max_length=MAX_QUESTION, json_schema_extra={"minLength": 1, "pattern": HAS_TEXT})
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
