"""Dependencies shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from qa.config import Settings
from qa.service import QAService, ServiceLoader


def get_loader(request: Request) -> ServiceLoader:
    return request.app.state.loader


def get_service(loader: Annotated[ServiceLoader, Depends(get_loader)]) -> QAService:
    if loader.service is None:
        detail = loader.error or "index is still loading; retry shortly"
        raise HTTPException(status_code=503, detail=detail, headers={"Retry-After": "5"})
    return loader.service


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


ServiceDep = Annotated[QAService, Depends(get_service)]
LoaderDep = Annotated[ServiceLoader, Depends(get_loader)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
