"""A real uvicorn server on a free port of 127.0.0.1, for the tests that talk HTTP to it (the
browser and the CLI). One per test module; it shares nothing with the TestClient of tests/conftest.py."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from qa.config import Settings


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status(url: str) -> tuple[int, str]:
    """HTTP status and body of a GET (0 when nothing answers)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own local server
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


@pytest.fixture(scope="module")
def base_url(settings: Settings) -> Iterator[str]:
    import uvicorn

    from qa.app import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600  # loading the index (or building it, the first time)
    while (ready := _status(f"{url}/readyz"))[0] != 200:
        if '"failed"' in ready[1]:
            server.should_exit = True
            pytest.fail(f"the server could not load the index: {ready[1]}")
        if not thread.is_alive():
            pytest.fail("the uvicorn server stopped before it was ready")
        if time.monotonic() > deadline:
            server.should_exit = True
            pytest.fail("the server did not become ready (GET /readyz) within 10 minutes")
        time.sleep(0.2)
    yield url
    server.should_exit = True
    thread.join(timeout=15)
