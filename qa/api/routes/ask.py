"""POST /api/ask and /api/search."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.exceptions import RequestValidationError

from index.scope import FilterError
from qa.api.deps import ServiceDep
from qa.api.shedding import SHED_RESPONSE, admit
from qa.schemas import AskRequest, AskResponse, ErrorOut, SearchResponse

router = APIRouter(prefix="/api", tags=["questions"], dependencies=[Depends(admit)],
                   responses={400: {"model": ErrorOut, "description": "Content-Type is not application/json"},
                              **SHED_RESPONSE})


def _filter_error(error: FilterError) -> RequestValidationError:
    # Answered like every other 422 (OpenAPI: HTTPValidationError), by the app's validation handler.
    return RequestValidationError([{"loc": ("body", "filters"), "msg": str(error), "type": "value_error"}])


# `async def`: the routes await the query embedding from the encoder workers (no thread waits for it)
# and run the rest, short Python bound by the GIL anyway, in the event loop: no hop to a worker thread
# and back, twice (FastAPI validates a plain `def` route's response in a thread too).
@router.post("/ask", response_model=AskResponse, summary="Answer a question with cited passages")
async def ask(request: AskRequest, service: ServiceDep) -> AskResponse:
    try:
        return await service.ask_async(request)
    except FilterError as error:
        raise _filter_error(error) from None


@router.post("/search", response_model=SearchResponse, summary="Ranked passages only, no answer")
async def search(request: AskRequest, service: ServiceDep) -> SearchResponse:
    try:
        return service.search_response(request, await service.search_async(request))
    except FilterError as error:
        raise _filter_error(error) from None
