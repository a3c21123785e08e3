"""Load shedding: past a bound, 503 with Retry-After at once, never a queue without end.

Two bounds, both answered alike: requests in flight on the routes that search (checked in the
event loop, before the question is queued), and the query encoder's queue with its timeout
(index/batching.py), which raises `Overloaded`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from index.batching import Overloaded
from qa.config import Settings
from qa.schemas import ErrorOut

# OpenAPI for the routes that shed: the app-wide 503 reasons, plus being busy.
SHED_RESPONSE = {503: {
    "model": ErrorOut,
    "description": "busy (too many requests in flight: retry after Retry-After seconds), index still loading or "
                   "failed, or the request passed its deadline",
    "headers": {"Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}},
}}


class InFlightLimit:
    """Counts requests in flight. Used from the event loop only, so a plain counter is safe."""

    def __init__(self, limit: int, retry_after: int) -> None:
        self.limit = limit
        self.retry_after = retry_after
        self.in_flight = 0
        self.shed = 0

    def enter(self) -> None:
        if self.in_flight >= self.limit:
            self.shed += 1
            raise HTTPException(503, f"the service is busy ({self.limit} requests in flight); retry shortly",
                                headers={"Retry-After": str(self.retry_after)})
        self.in_flight += 1

    def leave(self) -> None:
        self.in_flight -= 1


async def admit(request: Request) -> AsyncIterator[None]:
    """Route dependency: take a slot for the request's life, or answer 503 now."""
    limit: InFlightLimit = request.app.state.in_flight
    limit.enter()
    try:
        yield
    finally:
        limit.leave()


async def overloaded(_: Request, error: Overloaded) -> JSONResponse:
    return JSONResponse({"detail": str(error)}, status_code=503, headers={"Retry-After": str(error.retry_after)})


def install_shedding(app: FastAPI, settings: Settings) -> None:
    app.state.in_flight = InFlightLimit(settings.max_in_flight, settings.retry_after)
    app.add_exception_handler(Overloaded, overloaded)
