"""Dependencies shared by the routes."""

from __future__ import annotations

import secrets
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from qa.config import Settings
from qa.service import QAService, ServiceLoader


def get_loader(request: Request) -> ServiceLoader:
    return request.app.state.loader


def get_service(loader: Annotated[ServiceLoader, Depends(get_loader)]) -> QAService:
    if loader.service is None:
        detail = f"index failed to load: {loader.error}" if loader.error else "index is still loading; retry shortly"
        raise HTTPException(status_code=503, detail=detail)
    return loader.service


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


class KeyProblem(StrEnum):
    MISSING = "missing"  # no `Authorization: Bearer <key>` header
    WRONG = "wrong"


def bearer_key_problem(authorization: str | None, expected: str) -> KeyProblem | None:
    """Check an `Authorization: Bearer <key>` header against the API key (in constant time)."""
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return KeyProblem.MISSING
    return None if secrets.compare_digest(key.strip(), expected) else KeyProblem.WRONG


def require_api_key(settings: Annotated[Settings, Depends(get_settings)],
                    authorization: Annotated[str | None, Header()] = None) -> None:
    problem = bearer_key_problem(authorization, settings.api_key)
    if problem is KeyProblem.MISSING:
        raise HTTPException(401, "this endpoint needs the API key: send 'Authorization: Bearer <key>'",
                            headers={"WWW-Authenticate": "Bearer"})
    if problem is KeyProblem.WRONG:
        raise HTTPException(403, "wrong API key")


ServiceDep = Annotated[QAService, Depends(get_service)]
LoaderDep = Annotated[ServiceLoader, Depends(get_loader)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ApiKeyDep = Depends(require_api_key)
