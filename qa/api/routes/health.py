"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from qa.api.deps import LoaderDep
from qa.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is up")
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, summary="200 once the index is loaded, 503 before")
def readyz(loader: LoaderDep) -> JSONResponse:
    if loader.service is not None:
        body = Health(status="ok", passages=len(loader.service.retriever.passages))
        return JSONResponse(body.model_dump())
    status = "failed" if loader.error else "loading"
    return JSONResponse(Health(status=status, detail=loader.error).model_dump(), status_code=503)
