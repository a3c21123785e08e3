"""Hostile input, damaged state and slow clients (issue 11): one test or more per row of its table.

Runs the real app over the real index; the slow-client tests run the real server (uvicorn) in a
subprocess on a loopback port.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from qa.app import create_app
from qa.cli import app as cli_app
from qa.config import Settings, UnsafeBinding
from qa.schemas import BLANK_RANGES, MAX_FILTER_VALUES
from qa.service import QAService
from tests.qa.conftest import free_port
from tests.qa.helpers import QUESTION, error_text

REPO = Path(__file__).parents[2]
DIFY_BODY = {"knowledge_id": "policy-qa", "query": "高压用户报装时限", "retrieval_setting": {"top_k": 1}}


def _app_client(service: QAService, **overrides: object) -> TestClient:
    """An app with changed settings serving the already loaded index (no second model load)."""
    app = create_app(Settings(**overrides))
    app.state.loader.service = service
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def key(settings: Settings) -> str:
    return settings.retrieval_key().decode()


# 1 · a non-ASCII or malformed key is a Dify 403, never a 500; every 5xx is in the access log


@pytest.mark.parametrize("authorization", ["Bearer 密钥".encode(), "Bearer é".encode("latin-1"), b"Bearer \xff\xfe",
                                           "Bearer 密钥 密钥".encode(), b"bearer", b"Bearer ", b"\xe5\xaf\x86"])
def test_malformed_or_non_ascii_key_is_a_dify_403(client: TestClient, authorization: bytes) -> None:
    response = client.post("/retrieval", json=DIFY_BODY, headers={"Authorization": authorization})
    assert response.status_code == 403, response.text
    assert response.json()["error_code"] in (1001, 1002)


def test_non_ascii_key_set_by_the_operator_is_accepted(service: QAService) -> None:
    client = _app_client(service, api_key="密钥-κλειδί")
    ok = client.post("/retrieval", json=DIFY_BODY, headers={"Authorization": "Bearer 密钥-κλειδί".encode()})
    assert ok.status_code == 200, ok.text
    wrong = client.post("/retrieval", json=DIFY_BODY, headers={"Authorization": "Bearer 密钥-κλειδι".encode()})
    assert wrong.status_code == 403 and wrong.json()["error_code"] == 1002


def test_every_response_has_a_request_id_and_5xx_are_logged(settings: Settings,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(settings)  # not started: the index is "still loading", every API call is a 503
    client = TestClient(app, raise_server_exceptions=False)
    with caplog.at_level(logging.INFO, logger="policy_qa.access"):
        response = client.post("/api/ask", json={"question": QUESTION})
    assert response.status_code == 503 and response.headers["retry-after"]
    request_id = response.headers["x-request-id"]
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.name == "policy_qa.access"]
    assert {"request_id": request_id, "status": 503, "path": "/api/ask"}.items() <= logged[-1].items()


# 2 · body size limit, before parsing and before the key check; question length on the raw value


def test_body_over_the_limit_is_413_before_parsing(client: TestClient, settings: Settings) -> None:
    padding = " " * settings.max_body_bytes
    response = client.post("/api/ask", content=f'{{"question": "{QUESTION}{padding}"}}',
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 413, response.text
    assert str(settings.max_body_bytes) in error_text(response)


def test_chunked_body_over_the_limit_is_413(client: TestClient, settings: Settings) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit counts what arrives
        yield b'{"question": "' + QUESTION.encode()
        for _ in range(settings.max_body_bytes // 1024 + 2):
            yield b" " * 1024
        yield b'"}'

    response = client.post("/api/ask", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413, response.text


def test_retrieval_body_over_the_limit_is_413_before_the_key(client: TestClient, settings: Settings) -> None:
    body = json.dumps(DIFY_BODY | {"query": "高" * settings.max_body_bytes})
    response = client.post("/retrieval", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413, response.text


def test_retrieval_checks_the_key_before_parsing_the_body(client: TestClient) -> None:
    response = client.post("/retrieval", content=b'{"not json', headers={"Content-Type": "application/json"})
    assert response.status_code == 403 and response.json()["error_code"] == 1001


def test_whitespace_padding_counts_towards_the_question_length(client: TestClient) -> None:
    response = client.post("/api/ask", json={"question": QUESTION + " " * 600})
    assert response.status_code == 422, response.text
    assert "500" in error_text(response)


# 3 · list lengths in filters and Dify conditions


@pytest.mark.parametrize("field", ["city", "doc_id", "year"])
def test_long_filter_lists_are_refused(client: TestClient, field: str) -> None:
    value = 2019 if field == "year" else "焦作市"
    response = client.post("/api/ask", json={"question": QUESTION, "filters": {field: [value] * (MAX_FILTER_VALUES + 1)}})
    assert response.status_code == 422, response.text
    assert f"filters.{field}" in error_text(response) and str(MAX_FILTER_VALUES) in error_text(response)
    assert len(response.content) < 2000, "the list is not echoed back"


def test_long_dify_condition_lists_are_refused(client: TestClient, key: str) -> None:
    condition = {"name": ["city"], "comparison_operator": "is", "value": "焦作市"}
    body = DIFY_BODY | {"metadata_condition": {"conditions": [condition] * 21}}
    response = client.post("/retrieval", json=body, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 422, response.text
    for value in (["焦作市"] * (MAX_FILTER_VALUES + 1), ",".join(["焦作市"] * (MAX_FILTER_VALUES + 1))):
        body = DIFY_BODY | {"metadata_condition": {"conditions": [condition | {"value": value}]}}
        response = client.post("/retrieval", json=body, headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 422, response.text


# 4 · a request deadline: nothing waits without limit


def test_request_past_its_deadline_is_answered_503_with_retry_after(service: QAService) -> None:
    client = _app_client(service, request_deadline=0.001)
    response = client.post("/api/ask", json={"question": "营商环境" + QUESTION})  # not in the query cache
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] and "0.001 s" in error_text(response)
    assert client.get("/healthz").status_code in (200, 503)  # the app still answers afterwards


# 5 · a key per install: no shared default, owner-only file, no serving beyond loopback without one


def test_each_install_generates_its_own_key(tmp_path: Path) -> None:
    first = Settings(api_key=None, api_key_file=tmp_path / "a" / "api_key")
    second = Settings(api_key=None, api_key_file=tmp_path / "b" / "api_key")
    key = first.retrieval_key()
    assert len(key) >= 32 and key != second.retrieval_key() and key != b"policy-qa-dev-key"
    assert stat.S_IMODE(first.api_key_file.stat().st_mode) == 0o600
    assert first.retrieval_key() == key, "the stored key is reused"


def test_the_old_shared_key_is_refused(client: TestClient) -> None:
    response = client.post("/retrieval", json=DIFY_BODY, headers={"Authorization": "Bearer policy-qa-dev-key"})
    assert response.status_code == 403


def test_binding_beyond_loopback_needs_a_chosen_key(tmp_path: Path) -> None:
    generated = Settings(api_key=None, api_key_file=tmp_path / "api_key")
    for host in ("127.0.0.1", "localhost", "::1"):
        generated.check_binding(host)
    for host in ("0.0.0.0", "::", "192.168.1.10", "example.org"):
        with pytest.raises(UnsafeBinding, match="POLICY_QA_API_KEY"):
            generated.check_binding(host)
    Settings(api_key="chosen-by-the-operator").check_binding("0.0.0.0")


def test_serve_on_all_interfaces_without_a_key_exits_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POLICY_QA_API_KEY", raising=False)
    result = CliRunner().invoke(cli_app, ["serve", "--host", "0.0.0.0", "--port", "1"])
    assert result.exit_code == 2
    assert "refusing to serve on 0.0.0.0" in result.output and "POLICY_QA_API_KEY" in result.output


# 8 · no redirect built from the Host header; security headers


def test_no_redirect_to_the_host_header(client: TestClient) -> None:
    response = client.post("/api/ask/", json={"question": QUESTION}, headers={"Host": "evil.example"},
                           follow_redirects=False)
    assert response.status_code == 404, response.text
    assert "location" not in response.headers


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/api/documents", "/healthz"])
def test_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


# 9 · failures are reported briefly (details in the log) and /healthz reports them


def test_failed_index_is_reported_briefly_by_healthz_and_readyz(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index", model=str(tmp_path / "no-such-model"))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        client.app.state.loader.wait(120)
        for path in ("/healthz", "/readyz", "/api/documents"):
            response = client.get(path)
            assert response.status_code == 503, (path, response.text)
            assert str(tmp_path) not in response.text and "/" not in response.json()["detail"], response.text
        assert client.get("/healthz").json()["status"] == "failed"


def test_a_busy_machine_does_not_fail_loading(settings: Settings) -> None:
    # Every embedding times out: the warm-up search is shed, yet the index is served.
    busy = settings.model_copy(update={"embed_timeout": 0.000001})
    with TestClient(create_app(busy), raise_server_exceptions=False) as client:
        client.app.state.loader.wait(300)
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200, client.get("/readyz").text
        assert client.post("/api/ask", json={"question": "营商环境 warm-up 之后"}).status_code == 503


# 10 · responses as the OpenAPI says


@pytest.mark.parametrize("question", ["\u180e", "\u2061\u2062\u2063\u2064", "\u00ad", "\u0000", "\u0000\u0001 \u007f",
                                      "\u200b\u00ad\u180e", "\u0085\u2028\u2029"])
def test_invisible_or_control_only_questions_are_refused(client: TestClient, question: str) -> None:
    response = client.post("/api/ask", json={"question": question})
    assert response.status_code == 422, response.text
    assert "invisible" in error_text(response)


def test_blank_characters_are_every_control_format_and_separator() -> None:
    blank = {cp for a, b in BLANK_RANGES for cp in range(a, b + 1)}
    expected = {cp for cp in range(0x110000)
                if chr(cp).isspace() or unicodedata.category(chr(cp)) in ("Cc", "Cf", "Cs", "Zs", "Zl", "Zp")}
    assert blank == expected


def test_filter_error_detail_matches_the_validation_schema(client: TestClient) -> None:
    response = client.post("/api/ask", json={"question": QUESTION, "filters": {"city": ["北京市"]}})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, list) and {"loc", "msg", "type"} <= set(detail[0]) and "北京市" in detail[0]["msg"]


def test_openapi_declares_every_status_the_service_answers(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/ask", "/api/search"):
        assert {"200", "400", "408", "413", "422", "503"} <= set(paths[path]["post"]["responses"])
    assert {"200", "400", "403", "404", "413", "422", "503"} <= set(paths["/retrieval"]["post"]["responses"])
    assert {"200", "404", "503"} <= set(paths["/api/documents/{doc_id}"]["get"]["responses"])
    assert "503" in paths["/healthz"]["get"]["responses"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_head_on_health_endpoints(client: TestClient, path: str) -> None:
    response = client.head(path)
    assert response.status_code == 200


# 11 · slow clients: header and body read timeouts on the real server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    env = os.environ | {"POLICY_QA_HEADER_TIMEOUT": "2", "POLICY_QA_BODY_TIMEOUT": "2",
                        "POLICY_QA_INDEX_DIR": str(tmp_path_factory.mktemp("index") / "index"),
                        "POLICY_QA_MODEL": str(tmp_path_factory.mktemp("model") / "none")}  # fails fast: no load
    process = subprocess.Popen([sys.executable, "-m", "qa.cli", "serve", "--port", str(port)], cwd=REPO, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def _closed_after(sock: socket.socket, trickle: bytes, limit: float) -> tuple[float, bytes]:
    """Send one byte a second until the server closes; (seconds it took, what it answered)."""
    started = time.monotonic()
    sock.settimeout(1.0)
    answer = b""
    for byte in trickle:
        try:
            sock.sendall(bytes([byte]))
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
        except TimeoutError:
            pass
        except OSError:
            break
        if time.monotonic() - started > limit:
            break
    return time.monotonic() - started, answer


def test_headers_sent_a_byte_a_second_are_cut_off(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as sock:
        seconds, _ = _closed_after(sock, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 60, limit=20)
    assert seconds < 8, f"held {seconds:.1f} s with a 2 s header timeout"


def test_body_shorter_than_its_content_length_is_answered_408(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"question\": ")
        sock.settimeout(10)
        started = time.monotonic()
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert time.monotonic() - started < 8


def test_responses_through_the_real_server_arrive_whole_and_keep_alive(server: int) -> None:
    # The server sends each response in one write (qa/server.py, CoalescingTransport): large and small
    # responses on one keep-alive connection must come out exactly as the app made them.
    local = TestClient(create_app(Settings()))  # not started: these pages need no index
    with httpx.Client(base_url=f"http://127.0.0.1:{server}", timeout=30) as http:
        for path in ("/openapi.json", "/docs", "/", "/openapi.json"):
            served, made = http.get(path), local.get(path)
            assert served.status_code == made.status_code == 200, (path, served.status_code)
            assert served.content == made.content, path
            assert served.headers["content-length"] == str(len(made.content))
