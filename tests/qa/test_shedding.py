"""Load shedding on the real app served by uvicorn on loopback: past the in-flight bound, 503 with
Retry-After at once; nothing else fails and nothing waits without limit.

Bounded in count and time: at most CLIENTS × PER_CLIENT requests, within BUDGET_S.
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from eval.gold import load_gold
from qa.api.shedding import InFlightLimit

BOUND = 1  # requests in flight
CLIENTS = 16
PER_CLIENT = 4
BUDGET_S = 180.0


@pytest.fixture(scope="module")
def bounded_url(client: TestClient) -> Iterator[str]:
    """The already loaded app, with an in-flight bound of BOUND, served by uvicorn on loopback."""
    app: FastAPI = client.app
    original = app.state.in_flight
    app.state.in_flight = InFlightLimit(BOUND, original.retry_after)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # lifespan off: the service is loaded already; a second start would load it again.
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, name="test-uvicorn", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield url
    server.should_exit = True
    thread.join(30)
    app.state.in_flight = original


def _questions(count: int) -> list[str]:
    distinct = list(dict.fromkeys(q.question for q in load_gold()))
    return [f"{distinct[i % len(distinct)]}（{i}）" for i in range(count)]  # distinct texts: no cache hits


def _load(bounded_url: str, path: str, questions: list[str]) -> list[tuple[int, float, dict]]:
    """CLIENTS threads, each sending its share of the questions; (status, seconds, headers) per request."""
    results: list[tuple[int, float, dict]] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + BUDGET_S
    start = threading.Barrier(CLIENTS)

    def worker(mine: list[str]) -> None:
        with httpx.Client(base_url=bounded_url, timeout=60) as http:
            start.wait()
            for question in mine:
                if time.monotonic() > stop_at:
                    return
                began = time.perf_counter()
                try:
                    response = http.post(path, json={"question": question, "top_k": 3})
                    outcome = (response.status_code, time.perf_counter() - began, dict(response.headers))
                except httpx.HTTPError as error:
                    outcome = (0, time.perf_counter() - began, {"error": repr(error)})
                with lock:
                    results.append(outcome)

    threads = [threading.Thread(target=worker, args=(questions[i::CLIENTS],)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(BUDGET_S + 60)
    return results


@pytest.mark.parametrize("path", ["/api/ask", "/api/search"])
def test_past_the_bound_requests_get_503_with_retry_after(bounded_url: str, path: str) -> None:
    results = _load(bounded_url, path, _questions(CLIENTS))
    statuses = [status for status, _, _ in results]
    assert set(statuses) <= {200, 503}, statuses
    assert statuses.count(200) >= 1
    shed = [headers for status, _, headers in results if status == 503]
    assert shed, "16 concurrent requests against a bound of 1 shed some"
    assert all(int(headers["retry-after"]) >= 1 for headers in shed)


def test_overload_sheds_the_excess_and_keeps_latency_bounded(bounded_url: str, client: TestClient) -> None:
    results = _load(bounded_url, "/api/ask", _questions(CLIENTS * PER_CLIENT))
    assert len(results) == CLIENTS * PER_CLIENT, "every request was answered within the budget"
    statuses = [status for status, _, _ in results]
    assert set(statuses) <= {200, 503}, [r for r in results if r[0] not in (200, 503)][:3]
    served = [seconds for status, seconds, _ in results if status == 200]
    shed = [seconds for status, seconds, _ in results if status == 503]
    assert served and shed
    # Shedding is immediate: it takes no worker thread and waits for nothing.
    assert max(shed) < 2.0, f"slowest 503 took {max(shed):.2f} s"
    # Admitted requests wait for at most the encoder's deadline, plus their own work.
    timeout = client.app.state.settings.embed_timeout
    p99 = sorted(seconds for _, seconds, _ in results)[int(0.99 * (len(results) - 1))]
    assert p99 <= timeout + 5.0, f"p99 {p99:.2f} s, median served {statistics.median(served):.2f} s"
    assert client.app.state.in_flight.in_flight == 0  # every slot given back
