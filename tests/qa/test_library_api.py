"""Managing the library through the service: HTTP upload and delete, the CLI, bad files, and answers while
the library changes. A small real library (two bundled plans and a sample) with its own index in tmp."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from corpus.documents import DOCUMENTS_DIR
from qa.app import create_app
from qa.cli import app as cli_app
from qa.config import Settings
from tests.corpus.helpers import D000, D001
from tests.corpus.test_library import SAMPLES, SHANGHAI, YANTAI, bad_file

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is not beside the repository")
KEY = "test-library-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
YANTAI_QUESTION = "烟台 行政审批服务部门 企业开办专区 印章刻制 同步申请"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("library")
    documents = root / "documents"
    documents.mkdir()
    for path in (DOCUMENTS_DIR / f"{D000}.txt", DOCUMENTS_DIR / f"{D001}.txt", SAMPLES / f"{SHANGHAI}.txt"):
        shutil.copy(path, documents / path.name)
    return root


@pytest.fixture(scope="module")
def lib_settings(folder: Path) -> Settings:
    return Settings(documents_dir=folder / "documents", index_dir=folder / "index", library_dir=folder / "records",
                    api_key=KEY)


@pytest.fixture(scope="module")
def lib_client(lib_settings: Settings) -> TestClient:
    app = create_app(lib_settings)
    with TestClient(app) as test_client:
        app.state.loader.wait()
        assert app.state.loader.service is not None, app.state.loader.error
        yield test_client


def doc_ids(client: TestClient) -> set[str]:
    return {d["doc_id"] for d in client.get("/api/documents").json()}


def snapshot(client: TestClient, settings: Settings) -> tuple:
    """What a failed change must leave as it was: the documents served, the folder, the index."""
    files = sorted(p.name for p in settings.documents_dir.iterdir())
    manifest = (settings.index_dir / "manifest.json").read_text(encoding="utf-8")
    return client.get("/api/documents").json(), files, manifest


def upload(client: TestClient, name: str, data: bytes, headers: dict | None = None):  # noqa: ANN201
    return client.post("/api/documents", files=[("file", (name, data, "application/octet-stream"))],
                       headers=AUTH if headers is None else headers)


def test_the_folder_is_the_library(lib_client: TestClient) -> None:
    documents = {d["doc_id"]: d for d in lib_client.get("/api/documents").json()}
    assert set(documents) == {D000, D001, SHANGHAI}
    shanghai = documents[SHANGHAI]
    assert shanghai["passages"] > 0 and shanghai["level"] == "province" and shanghai["city"] == "上海市"
    assert shanghai["year"] == 2025 and shanghai["doc_number"] is None
    detail = lib_client.get(f"/api/documents/{SHANGHAI}").json()
    assert detail["text"] == (SAMPLES / f"{SHANGHAI}.txt").read_text(encoding="utf-8")


def test_changes_need_the_api_key(lib_client: TestClient, lib_settings: Settings) -> None:
    before = snapshot(lib_client, lib_settings)
    data = (SAMPLES / f"{YANTAI}.txt").read_bytes()
    assert upload(lib_client, f"{YANTAI}.txt", data, headers={}).status_code == 401
    assert upload(lib_client, f"{YANTAI}.txt", data, headers={"Authorization": "Bearer nope"}).status_code == 403
    assert lib_client.delete(f"/api/documents/{D000}").status_code == 401
    assert snapshot(lib_client, lib_settings) == before


@pytest.mark.parametrize(("case", "status"), [
    ("empty", 422), ("binary", 422), ("unsupported_type", 415), ("needs_ocr", 422), ("undecodable", 422),
    ("duplicate", 409), ("name_taken", 409)])
def test_a_bad_upload_gets_its_status_and_changes_nothing(lib_client: TestClient, lib_settings: Settings,
                                                          tmp_path: Path, case: str, status: int) -> None:
    before = snapshot(lib_client, lib_settings)
    name, path = bad_file(tmp_path, case)  # duplicate and name_taken refer to D001, which this library has
    response = upload(lib_client, name, path.read_bytes())
    assert response.status_code == status, response.text
    assert response.json()["detail"]["reason"] == case and response.json()["detail"]["message"]
    assert snapshot(lib_client, lib_settings) == before


def test_an_upload_over_20_mb_gets_413(lib_client: TestClient, lib_settings: Settings) -> None:
    before = snapshot(lib_client, lib_settings)
    response = upload(lib_client, "big.txt", b"a" * (20 * 1024 * 1024 + 1))
    assert response.status_code == 413, response.text
    assert snapshot(lib_client, lib_settings) == before


def test_an_upload_that_is_not_multipart_gets_400(lib_client: TestClient) -> None:
    response = lib_client.post("/api/documents", content=b"{}", headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400 and "multipart/form-data" in response.json()["detail"]


def test_add_then_remove_over_http_while_the_service_answers(lib_client: TestClient) -> None:
    old = doc_ids(lib_client)
    new = old | {YANTAI}
    seen: list[tuple[int, set[str]]] = []
    stop = threading.Event()

    def ask_repeatedly() -> None:
        while not stop.is_set():
            response = lib_client.post("/api/search", json={"question": YANTAI_QUESTION, "top_k": 20})
            seen.append((response.status_code, {p["doc_id"] for p in response.json().get("passages", [])}))

    asker = threading.Thread(target=ask_repeatedly)
    asker.start()
    try:
        response = upload(lib_client, f"{YANTAI}.txt", (SAMPLES / f"{YANTAI}.txt").read_bytes())
    finally:
        stop.set()
        asker.join()
    assert response.status_code == 201, response.text
    change = response.json()
    added = change["added"][0]
    assert added["doc_id"] == YANTAI and added["city"] == "烟台市" and added["doc_type"] == "条例"
    assert change["embedded"] == added["passages"]  # only the new document's passages were embedded
    assert seen and all(status == 200 for status, _ in seen)
    assert all(cited <= old or cited <= new for _, cited in seen)

    top = lib_client.post("/api/ask", json={"question": YANTAI_QUESTION}).json()
    assert top["passages"][0]["doc_id"] == YANTAI
    assert doc_ids(lib_client) == new

    removed = lib_client.delete(f"/api/documents/{YANTAI}", headers=AUTH)
    assert removed.status_code == 200 and removed.json()["removed"] == [YANTAI]
    for endpoint in ("/api/ask", "/api/search"):
        result = lib_client.post(endpoint, json={"question": YANTAI_QUESTION, "top_k": 50}).json()
        assert YANTAI not in {p["doc_id"] for p in result["passages"]}
    assert lib_client.get(f"/api/documents/{YANTAI}").status_code == 404
    assert lib_client.delete(f"/api/documents/{YANTAI}", headers=AUTH).status_code == 404
    assert doc_ids(lib_client) == old


def test_filters_and_dify_follow_the_library(lib_client: TestClient) -> None:
    ask = lambda **filters: lib_client.post("/api/search", json={  # noqa: E731
        "question": "大件运输许可办理", "top_k": 10, "filters": filters})
    for place in ("上海市", "上海", "沪"):
        assert {p["doc_id"] for p in ask(city=[place]).json()["passages"]} == {SHANGHAI}, place
    assert {p["doc_id"] for p in ask(year=[2025]).json()["passages"]} == {SHANGHAI}
    unknown = ask(city=["北京市"], year=[1999])
    assert unknown.status_code == 422 and "上海市" in unknown.text and "2025" in unknown.text
    named = lib_client.post("/api/search", json={"question": "上海 大件运输 申请材料"}).json()
    assert named["applied_filters"]["named_in_question"]["regions"] == ["上海市"]

    dify = lambda knowledge_id: lib_client.post("/retrieval", headers=AUTH, json={  # noqa: E731
        "knowledge_id": knowledge_id, "query": "大件运输", "retrieval_setting": {"top_k": 3}})
    assert {r["metadata"]["doc_id"] for r in dify(SHANGHAI).json()["records"]} == {SHANGHAI}
    assert dify(YANTAI).status_code == 404 and SHANGHAI in dify(YANTAI).text


def test_library_cli_adds_lists_and_removes(lib_client: TestClient, lib_settings: Settings, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("DOCUMENTS_DIR", lib_settings.documents_dir), ("INDEX_DIR", lib_settings.index_dir),
                        ("LIBRARY_DIR", lib_settings.library_dir)):
        monkeypatch.setenv(f"POLICY_QA_{name}", str(value))
    runner = CliRunner()
    before = sorted(p.name for p in lib_settings.documents_dir.iterdir())
    name, path = bad_file(tmp_path, "empty")
    refused = runner.invoke(cli_app, ["library", "add", str(path.rename(tmp_path / name))])
    assert refused.exit_code == 2 and "empty" in refused.output
    assert sorted(p.name for p in lib_settings.documents_dir.iterdir()) == before

    added = runner.invoke(cli_app, ["library", "add", str(SAMPLES / f"{YANTAI}.txt")])
    assert added.exit_code == 0, added.output
    assert f"added {YANTAI}" in added.output
    listed = runner.invoke(cli_app, ["library", "list"])
    assert listed.exit_code == 0 and YANTAI in listed.output and "烟台市 2021" in listed.output
    shown = json.loads(runner.invoke(cli_app, ["library", "show", YANTAI]).output)
    assert shown["effective_date"] == "2022-01-01" and shown["passages"] > 0

    assert runner.invoke(cli_app, ["library", "remove", YANTAI]).exit_code == 0
    missing = runner.invoke(cli_app, ["library", "remove", YANTAI])
    assert missing.exit_code == 2 and "no document" in missing.output
    assert sorted(p.name for p in lib_settings.documents_dir.iterdir()) == before
