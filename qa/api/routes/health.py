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
        backend = loader.service.retriever.backend
        try:
            passages = backend.count()  # asks the backend: a Milvus that went away makes this replica unready
        except Exception as error:  # noqa: BLE001 - any failure to answer means not ready
            return JSONResponse(Health(status="failed", backend=backend.name, detail=f"{type(error).__name__}: {error}")
                                .model_dump(), status_code=503)
        return JSONResponse(Health(status="ok", passages=passages, backend=backend.name).model_dump())
    status = "failed" if loader.error else "loading"
    return JSONResponse(Health(status=status, detail=loader.error).model_dump(), status_code=503)
