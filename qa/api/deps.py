"""Dependencies shared by the routes."""

from __future__ import annotations

import hmac
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from qa.config import Settings
from qa.service import QAService, ServiceLoader


# Dependencies that only read app state are `async def`: FastAPI runs a plain `def` one in a worker
# thread, two thread hops per request for a dictionary look-up.
async def get_loader(request: Request) -> ServiceLoader:
    return request.app.state.loader


async def get_service(loader: Annotated[ServiceLoader, Depends(get_loader)]) -> QAService:
    if loader.service is None:
        detail = loader.error or "index is still loading; retry shortly"
        raise HTTPException(status_code=503, detail=detail, headers={"Retry-After": "5"})
    return loader.service


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


class KeyProblem(StrEnum):
    MISSING = "missing"  # no `Authorization: Bearer <key>` header
    WRONG = "wrong"


def bearer_key_problem(authorization: str | None, expected: bytes) -> KeyProblem | None:
    """Check an `Authorization: Bearer <key>` header against the API key (in constant time)."""
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return KeyProblem.MISSING
    # Header values arrive as latin-1 text: back to the bytes sent, so any key compares as UTF-8 bytes.
    return None if hmac.compare_digest(key.strip().encode("latin-1", errors="replace"), expected) else KeyProblem.WRONG


async def require_api_key(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    """The key that guards /retrieval guards changes to the library too."""
    problem = bearer_key_problem(authorization, request.app.state.retrieval_key)
    if problem is KeyProblem.MISSING:
        raise HTTPException(401, "this endpoint needs the API key: send 'Authorization: Bearer <key>'",
                            headers={"WWW-Authenticate": "Bearer"})
    if problem is KeyProblem.WRONG:
        raise HTTPException(403, "wrong API key")


ServiceDep = Annotated[QAService, Depends(get_service)]
LoaderDep = Annotated[ServiceLoader, Depends(get_loader)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ApiKeyDep = Depends(require_api_key)
