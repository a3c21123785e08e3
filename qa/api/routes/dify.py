"""POST /retrieval: the Dify External Knowledge API, so the service plugs into Dify (and RAGFlow
clients) as an external knowledge base.

knowledge_id `policy-qa` searches every document; a doc_id searches that one document.
`metadata_condition` (the shape of Dify's current documentation) is evaluated on each document's
metadata; the documents it admits become the search's doc_id filter. The record score is a
relevance probability (qa/record_score.py) fitted so that Dify's score_threshold 0.5 keeps the
relevant passage of ≥ 95% of the gold questions; records come best first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from corpus.models import Document
from index.retriever import Mode
from index.scope import FilterError, SearchFilters
from qa.api.deps import KeyProblem, ServiceDep, bearer_key_problem
from qa.api.shedding import SHED_RESPONSE, admit
from qa.record_score import record_scores
from qa.schemas import (
    DifyCondition,
    DifyErrorOut,
    DifyMetadataCondition,
    DifyRecord,
    DifyRetrievalRequest,
    DifyRetrievalResponse,
    ErrorOut,
)

ALL_DOCUMENTS = "policy-qa"
INVALID_CONDITION = 1003  # Dify reserves 1001/1002 (authorization) and 2001 (knowledge); ours: a bad condition


class DifyError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        self.status, self.code, self.message = status, code, message

    def response(self) -> JSONResponse:
        return JSONResponse({"error_code": self.code, "error_msg": self.message}, status_code=self.status)


def _check_key(authorization: str | None, expected: bytes) -> None:
    problem = bearer_key_problem(authorization, expected)
    if problem is KeyProblem.MISSING:
        raise DifyError(403, 1001, "Invalid Authorization header format. Expected 'Bearer <api-key>' format.")
    if problem is KeyProblem.WRONG:
        raise DifyError(403, 1002, "Authorization failed")


class KeyCheckedRoute(APIRoute):
    """Checks the bearer key before FastAPI reads and parses the body: strangers get no parsing."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            try:
                _check_key(request.headers.get("authorization"), request.app.state.retrieval_key)
            except DifyError as error:
                return error.response()
            return await handler(request)

        return checked


router = APIRouter(tags=["dify"], route_class=KeyCheckedRoute, dependencies=[Depends(admit)],
                   responses=SHED_RESPONSE)


class Operator(StrEnum):
    IS = "is"
    IS_NOT = "is not"
    CONTAINS = "contains"
    NOT_CONTAINS = "not contains"
    START_WITH = "start with"
    END_WITH = "end with"
    IN = "in"
    NOT_IN = "not in"
    EMPTY = "empty"
    NOT_EMPTY = "not empty"
    EQ = "="
    NE = "≠"
    GT = ">"
    LT = "<"
    GE = "≥"
    LE = "≤"
    BEFORE = "before"
    AFTER = "after"


ASCII_OPERATORS = {"==": Operator.EQ, "!=": Operator.NE, ">=": Operator.GE, "<=": Operator.LE}
NEGATIONS = {Operator.IS_NOT: Operator.IS, Operator.NOT_CONTAINS: Operator.CONTAINS, Operator.NOT_IN: Operator.IN,
             Operator.NOT_EMPTY: Operator.EMPTY, Operator.NE: Operator.EQ}
NUMERIC = {Operator.EQ, Operator.GT, Operator.LT, Operator.GE, Operator.LE}
# A condition naming a value no document has is an error, not a silently empty result.
MUST_MATCH = {Operator.IS, Operator.IN, Operator.EQ}

# Document metadata a condition may name: the values it holds for a document. `city` also
# matches the county, as the service's city filter does (焦作市 includes 修武县).
FIELDS: dict[str, Callable[[Document], list[str | int | None]]] = {
    "city": lambda d: [d.city, d.county],
    "region": lambda d: [d.region],
    "county": lambda d: [d.county],
    "province": lambda d: [d.province],
    "year": lambda d: [d.year],
    "date": lambda d: [d.date],
    "doc_id": lambda d: [d.doc_id],
    "doc_number": lambda d: [d.doc_number],
    "title": lambda d: [d.title],
    "issuer": lambda d: [d.issuer],
    "doc_type": lambda d: [d.doc_type],
    "level": lambda d: [str(d.level) if d.level else None],
}
NUMERIC_FIELDS = {"year"}
DATE_FIELDS = {"date", "year"}


def _invalid(message: str) -> DifyError:
    return DifyError(400, INVALID_CONDITION, message)


def _operator(text: str) -> Operator:
    try:
        return ASCII_OPERATORS.get(text.strip()) or Operator(text.strip())
    except ValueError:
        raise _invalid(f"comparison_operator {text!r} is not supported "
                       f"(use one of: {', '.join(o.value for o in Operator)})") from None


def _values(condition: DifyCondition) -> list[str | int | float]:
    """A list value as it is; a string may list several values separated by commas."""
    value = condition.value
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [] if value is None else [value]


def _number(value: str | int | float, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _invalid(f"{name} compares numbers; {value!r} is not a number") from None


def _same_place(field_value: str, value: str) -> bool:
    return value in (field_value, field_value.rstrip("市县区")) and len(value) >= 2


def _holds(op: Operator, name: str, field_value: str | int | None, values: list[str | int | float]) -> bool:
    """Whether one field value satisfies a positive operator."""
    if op is Operator.EMPTY:
        return field_value in (None, "")
    if field_value is None:
        return False
    if op in NUMERIC:
        number = _number(field_value, name)
        compare = {Operator.EQ: number.__eq__, Operator.GT: number.__gt__, Operator.LT: number.__lt__,
                   Operator.GE: number.__ge__, Operator.LE: number.__le__}[op]
        return any(compare(_number(v, name)) for v in values)
    if op in (Operator.BEFORE, Operator.AFTER):
        # ISO dates and years compare as text of equal length: 2021 < 2021-06 < 2022.
        text = str(field_value)
        return any(text[:len(str(v))] < str(v) if op is Operator.BEFORE else text[:len(str(v))] > str(v)
                   for v in values)
    text = str(field_value)
    if op in (Operator.IS, Operator.IN):
        return any(text == str(v) or (name == "city" and _same_place(text, str(v))) for v in values)
    if op is Operator.CONTAINS:
        return any(str(v) in text for v in values)
    if op is Operator.START_WITH:
        return any(text.startswith(str(v)) for v in values)
    return any(text.endswith(str(v)) for v in values)  # END_WITH


def _admits(condition: DifyCondition, documents: list[Document]) -> set[str]:
    """doc_ids of the documents that satisfy one condition (any of its named fields)."""
    op = _operator(condition.comparison_operator)
    unknown = [n for n in condition.names if n not in FIELDS]
    if unknown or not condition.names:
        raise _invalid(f"unknown metadata field(s) {unknown or condition.names} (known: {', '.join(FIELDS)})")
    values = _values(condition)
    if op not in (Operator.EMPTY, Operator.NOT_EMPTY) and not values:
        raise _invalid(f"condition {op.value!r} on {condition.names} has no value")
    positive = NEGATIONS.get(op, op)
    if positive in NUMERIC and not set(condition.names) <= NUMERIC_FIELDS:
        raise _invalid(f"{op.value!r} compares numbers: use it on {', '.join(sorted(NUMERIC_FIELDS))}")
    if positive in (Operator.BEFORE, Operator.AFTER) and not set(condition.names) <= DATE_FIELDS:
        raise _invalid(f"{op.value!r} compares dates: use it on {', '.join(sorted(DATE_FIELDS))}")
    matching = {d.doc_id for d in documents
                if any(_holds(positive, name, v, values) for name in condition.names for v in FIELDS[name](d))}
    if op in MUST_MATCH and not matching:
        known = sorted({str(v) for d in documents for name in condition.names for v in FIELDS[name](d) if v})
        raise _invalid(f"no document has {'/'.join(condition.names)} {op.value} {values} (known: {', '.join(known)})")
    return {d.doc_id for d in documents} - matching if op in NEGATIONS else matching


def _allowed_documents(knowledge_id: str, condition: DifyMetadataCondition | None,
                       documents: dict[str, Document]) -> set[str]:
    if knowledge_id != ALL_DOCUMENTS and knowledge_id not in documents:
        raise DifyError(404, 2001, f"The knowledge does not exist: {knowledge_id!r} "
                                   f"(use {ALL_DOCUMENTS!r} or a doc_id: {', '.join(sorted(documents))})")
    allowed = set(documents) if knowledge_id == ALL_DOCUMENTS else {knowledge_id}
    if condition and condition.conditions:
        admitted = [_admits(c, list(documents.values())) for c in condition.conditions]
        allowed &= set.intersection(*admitted) if condition.logical_operator == "and" else set.union(*admitted)
    return allowed


@router.post("/retrieval", response_model=DifyRetrievalResponse, summary="Dify External Knowledge API",
             responses={400: {"model": DifyErrorOut | ErrorOut,
                              "description": "unsupported metadata condition (Dify error) or not JSON"},
                        403: {"model": DifyErrorOut, "description": "missing, malformed or wrong bearer key"},
                        404: {"model": DifyErrorOut, "description": "unknown knowledge_id"}})
async def retrieval(body: DifyRetrievalRequest, service: ServiceDep,
                    authorization: Annotated[str | None, Header(description="Bearer <api-key>")] = None,  # noqa: ARG001
                    ) -> DifyRetrievalResponse | JSONResponse:
    # The key was checked by KeyCheckedRoute before the body was read; the header is declared for OpenAPI.
    # `async def` like /api/ask (qa/api/routes/ask.py): the query embedding is awaited, no thread hop.
    try:
        served = service.served  # one library for the whole request, whatever changes meanwhile
        documents = served.retriever.documents
        allowed = _allowed_documents(body.knowledge_id, body.metadata_condition, documents)
        if not allowed:
            return DifyRetrievalResponse(records=[])
        filters = SearchFilters(doc_id=tuple(sorted(allowed)) if len(allowed) < len(documents) else ())
        result = await served.retriever.search_async(body.query, mode=Mode.HYBRID,
                                                     top_k=body.retrieval_setting.top_k, filters=filters)
    except DifyError as error:
        return error.response()
    except FilterError as error:
        return _invalid(str(error)).response()
    scored = sorted(zip(record_scores(result, served.composer), result.hits), key=lambda pair: -pair[0])
    records = []
    for score, hit in scored:
        score = round(score, 4)  # the threshold applies to the score as the caller sees it
        if score < body.retrieval_setting.score_threshold:
            continue
        p, d = hit.passage, hit.document
        records.append(DifyRecord(
            content=p.text, score=score, title=f"{d.title} › {' › '.join(p.section_path[1:])}".rstrip(" ›"),
            metadata={"doc_id": d.doc_id, "doc_number": d.doc_number, "province": d.province, "city": d.city,
                      "county": d.county, "year": d.year, "doc_type": d.doc_type, "kind": str(p.kind), "passage_id": p.passage_id, "file": p.source.file,
                      "line_start": p.source.line_start, "line_end": p.source.line_end,
                      "section_path": list(p.section_path)}))
    return DifyRetrievalResponse(records=records)
