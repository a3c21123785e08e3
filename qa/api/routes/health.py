"""Liveness and readiness (GET and HEAD, for probes that send either)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from qa.api.deps import LoaderDep
from qa.schemas import Health

router = APIRouter(tags=["health"])
FAILED = {503: {"model": Health, "description": "the index failed to load: restart the process"}}


@router.head("/healthz", include_in_schema=False)
@router.get("/healthz", response_model=Health, responses=FAILED,
            summary="200 while the process can serve (or is still loading); 503 once loading failed")
def healthz(loader: LoaderDep) -> JSONResponse:
    if loader.error:  # an orchestrator restarts the process; the reason is in the log
        return JSONResponse(Health(status="failed", detail=loader.error).model_dump(), status_code=503)
    return JSONResponse(Health(status="ok").model_dump())


@router.head("/readyz", include_in_schema=False)
@router.get("/readyz", response_model=Health, responses={503: {"model": Health, "description": "still loading, or failed"}},
            summary="200 once the index is loaded, 503 before")
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
