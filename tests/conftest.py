"""Shared fixtures: the real index over the real documents, built once per machine and reused.

The index lives where `make run` keeps it (.data/index, or POLICY_QA_INDEX_DIR); the first test
session builds it (a few minutes of embedding), later sessions load it in a second.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from index.retriever import Retriever
from qa.app import create_app
from qa.config import Settings
from qa.service import QAService


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def service(settings: Settings) -> QAService:
    return QAService.load(settings)


@pytest.fixture(scope="session")
def retriever(service: QAService) -> Retriever:
    return service.retriever


@pytest.fixture(scope="session")
def client(settings: Settings, service: QAService) -> TestClient:
    app = create_app(settings)
    with TestClient(app) as test_client:
        app.state.loader.wait()
        yield test_client
