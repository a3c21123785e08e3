"""POST /api/ask and /api/search."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from index.scope import FilterError
from qa.api.deps import ServiceDep
from qa.api.shedding import admit
from qa.schemas import AskRequest, AskResponse, SearchResponse

router = APIRouter(prefix="/api", tags=["questions"], dependencies=[Depends(admit)])


def _filter_error(error: FilterError) -> HTTPException:
    return HTTPException(status_code=422, detail=f"filters: {error}")


@router.post("/ask", response_model=AskResponse, summary="Answer a question with cited passages")
def ask(request: AskRequest, service: ServiceDep) -> AskResponse:
    try:
        return service.ask(request)
    except FilterError as error:
        raise _filter_error(error) from None


@router.post("/search", response_model=SearchResponse, summary="Ranked passages only, no answer")
def search(request: AskRequest, service: ServiceDep) -> SearchResponse:
    try:
        return service.search_response(request, service.search(request))
    except FilterError as error:
        raise _filter_error(error) from None
