"""The FastAPI application: API routes, the web chat page, error handling and request logs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi_offline import FastAPIOffline
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from qa.api.middleware import Limits, RequestGuard
from qa.api.routes import ask, dify, documents, health
from qa.api.shedding import install_shedding
from qa.config import Settings
from qa.schemas import ErrorOut
from qa.service import ServiceLoader

STATIC_DIR = Path(__file__).parent / "static"
JSON_ENDPOINTS = ("/api/ask", "/api/search", "/retrieval")
log = logging.getLogger("policy_qa")
# Statuses any operation may answer, whatever its route: the guard's limits and the loading index.
COMMON_RESPONSES = {
    413: {"model": ErrorOut, "description": "request body over the size limit"},
    408: {"model": ErrorOut, "description": "request body not received in time"},
    503: {"model": ErrorOut, "description": "index still loading or failed, or the request passed its deadline"},
}


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


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """A 405 lists in `Allow` every method of the path (Starlette names only the first route's)."""
    if exc.status_code != 405:
        return await http_exception_handler(request, exc)
    methods: set[str] = set()
    for route in request.app.router.routes:
        if route.matches(request.scope)[0] is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return JSONResponse({"detail": exc.detail}, status_code=405, headers={"Allow": ", ".join(sorted(methods))})


def _key_hint(settings: Settings) -> str:
    if settings.api_key is not None and settings.api_key.get_secret_value():
        return "/retrieval key: POLICY_QA_API_KEY"
    return f"/retrieval key: cat {settings.api_key_file}"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    loader = ServiceLoader(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log.info(_key_hint(settings))
        loader.start()
        yield
        if loader.service is not None:
            loader.service.retriever.backend.close()  # a Milvus Lite file stays locked until released

    # FastAPIOffline serves the /docs page's scripts itself: intranets have no CDN.
    # No trailing-slash redirects: Starlette builds them from the Host header.
    app = FastAPIOffline(title="policy-qa", version="0.1.0", lifespan=lifespan, redirect_slashes=False,
                         responses=COMMON_RESPONSES,
                         description="Cited answers from Chinese government policy documents (政策文件问答).")
    app.state.settings = settings
    app.state.loader = loader
    app.state.retrieval_key = settings.retrieval_key()  # generated here on an install's first start
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    install_shedding(app, settings)

    app.add_middleware(RequestGuard, json_paths=JSON_ENDPOINTS,
                       limits=Limits(settings.max_body_bytes, settings.body_timeout, settings.request_deadline),
                       upload_limits=Limits(documents.MAX_UPLOAD_BODY, settings.body_timeout, settings.change_deadline),
                       upload_paths=(documents.router.prefix,))

    for module in (ask, documents, health, dify):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    return app
