"""The FastAPI application: API routes, the web chat page, error handling and request logs."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi_offline import FastAPIOffline
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from qa.api.routes import ask, dify, documents, health
from qa.config import Settings
from qa.service import ServiceLoader

STATIC_DIR = Path(__file__).parent / "static"
JSON_ENDPOINTS = ("/api/ask", "/api/search", "/retrieval")
log = logging.getLogger("policy_qa.access")


def _error_summary(errors: list[dict]) -> str:
    parts = []
    for error in errors:
        where = ".".join(str(x) for x in error.get("loc", ()) if x != "body")
        parts.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    return "; ".join(parts)


async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    # Inputs are not echoed back: a 500-character question need not return twice.
    errors = [{k: v for k, v in e.items() if k not in ("input", "ctx", "url")} for e in exc.errors()]
    return JSONResponse({"detail": jsonable_encoder(errors), "message": _error_summary(errors)}, status_code=422)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    loader = ServiceLoader(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loader.start()
        yield
        if loader.service is not None:
            loader.service.retriever.backend.close()  # a Milvus Lite file stays locked until released

    # FastAPIOffline serves the /docs page's scripts itself: intranets have no CDN.
    app = FastAPIOffline(title="policy-qa", version="0.1.0", lifespan=lifespan,
                  description="Cited answers from Chinese government policy documents (政策文件问答).")
    app.state.settings = settings
    app.state.loader = loader
    app.add_exception_handler(RequestValidationError, validation_error)

    @app.middleware("http")
    async def json_only_and_access_log(request: Request, call_next):  # noqa: ANN202
        started = time.perf_counter()
        content_type = request.headers.get("content-type", "")
        if request.method == "POST" and request.url.path in JSON_ENDPOINTS and \
                not content_type.split(";")[0].strip().lower() == "application/json":
            response = JSONResponse(
                {"detail": f"Content-Type must be application/json (got {content_type or 'none'})"}, status_code=400)
        else:
            response = await call_next(request)
        log.info(json.dumps({"method": request.method, "path": request.url.path, "status": response.status_code,
                             "ms": round((time.perf_counter() - started) * 1000, 1)}))
        return response

    for module in (ask, documents, health, dify):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    return app
