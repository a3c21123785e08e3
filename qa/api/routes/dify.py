"""POST /retrieval: the Dify External Knowledge API, so the service plugs into Dify (and RAGFlow
clients) as an external knowledge base.

knowledge_id `policy-qa` searches every document; a doc_id searches that one document.
Metadata conditions on city/region, year and doc_id map onto the service's filters. The record
score is the answer confidence scale (0-1: IDF-weighted share of the query's terms found in the
passage), so Dify's score_threshold means the same thing for every query.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse

from index.retriever import Mode
from index.scope import FilterError, SearchFilters
from qa.api.deps import KeyProblem, ServiceDep, SettingsDep, bearer_key_problem
from qa.schemas import DifyCondition, DifyMetadataCondition, DifyRecord, DifyRetrievalRequest, DifyRetrievalResponse

router = APIRouter(tags=["dify"])
ALL_DOCUMENTS = "policy-qa"
FIELD_NAMES = {"city": "city", "region": "city", "county": "city", "province": "city", "year": "year",
               "doc_id": "doc_id"}
EQUALS = {"is", "=", "contains", "in"}


class DifyError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        self.status, self.code, self.message = status, code, message

    def response(self) -> JSONResponse:
        return JSONResponse({"error_code": self.code, "error_msg": self.message}, status_code=self.status)


def _check_key(authorization: str | None, expected: str) -> None:
    problem = bearer_key_problem(authorization, expected)
    if problem is KeyProblem.MISSING:
        raise DifyError(403, 1001, "Invalid Authorization header format. Expected 'Bearer <api-key>' format.")
    if problem is KeyProblem.WRONG:
        raise DifyError(403, 1002, "Authorization failed")


def _filters(knowledge_id: str, condition: DifyMetadataCondition | None, known_docs: set[str]) -> SearchFilters:
    values: dict[str, list] = {"city": [], "year": [], "doc_id": []}
    if knowledge_id != ALL_DOCUMENTS:
        if knowledge_id not in known_docs:
            raise DifyError(404, 2001, f"The knowledge does not exist: {knowledge_id!r} "
                                       f"(use {ALL_DOCUMENTS!r} or a doc_id: {', '.join(sorted(known_docs))})")
        values["doc_id"].append(knowledge_id)
    if condition:
        fields = {FIELD_NAMES.get(name) for c in condition.conditions for name in c.name}
        if condition.logical_operator == "or" and len(fields) > 1:
            raise DifyError(400, 1003, "logical_operator 'or' is supported only across one metadata field")
        for c in condition.conditions:
            _add_condition(c, values)
    try:
        return SearchFilters(tuple(values["city"]), tuple(int(y) for y in values["year"]), tuple(values["doc_id"]))
    except ValueError:
        raise DifyError(400, 1003, f"year values must be integers: {values['year']}") from None


def _add_condition(condition: DifyCondition, values: dict[str, list]) -> None:
    if condition.comparison_operator not in EQUALS:
        raise DifyError(400, 1003, f"comparison_operator {condition.comparison_operator!r} is not supported "
                                   f"(use one of {sorted(EQUALS)})")
    if condition.value is None:
        raise DifyError(400, 1003, f"condition on {condition.name} has no value")
    for name in condition.name:
        field = FIELD_NAMES.get(name)
        if field is None:
            raise DifyError(400, 1003, f"unknown metadata field {name!r} (known: {sorted(FIELD_NAMES)})")
        values[field] += [v.strip() for v in condition.value.split(",") if v.strip()]


@router.post("/retrieval", response_model=DifyRetrievalResponse, summary="Dify External Knowledge API",
             responses={403: {"description": "missing or wrong bearer key"}, 404: {"description": "unknown knowledge_id"}})
def retrieval(body: DifyRetrievalRequest, service: ServiceDep, settings: SettingsDep,
              authorization: Annotated[str | None, Header()] = None) -> DifyRetrievalResponse | JSONResponse:
    try:
        _check_key(authorization, settings.api_key)
        served = service.served  # one library for the whole request
        filters = _filters(body.knowledge_id, body.metadata_condition, set(served.retriever.documents))
        result = served.retriever.search(body.query, mode=Mode.HYBRID, top_k=body.retrieval_setting.top_k,
                                          filters=filters)
    except DifyError as error:
        return error.response()
    except FilterError as error:
        return DifyError(400, 1003, str(error)).response()
    records = []
    for hit in result.hits:
        score = served.composer.passage_score(body.query, hit)
        if score < body.retrieval_setting.score_threshold:
            continue
        p, d = hit.passage, hit.document
        records.append(DifyRecord(
            content=p.text, score=round(score, 4), title=f"{d.title} › {' › '.join(p.section_path[1:])}".rstrip(" ›"),
            metadata={"doc_id": d.doc_id, "doc_number": d.doc_number, "province": d.province, "city": d.city,
                      "county": d.county, "year": d.year, "doc_type": d.doc_type, "kind": str(p.kind), "passage_id": p.passage_id, "file": p.source.file,
                      "line_start": p.source.line_start, "line_end": p.source.line_end,
                      "section_path": list(p.section_path)}))
    return DifyRetrievalResponse(records=records)
