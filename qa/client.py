"""Asking a running policy-qa server, so the CLI need not load the model for every question.

Standard library only: the CLI answers through a server in well under a second, and importing an
HTTP library would cost a good part of that.
"""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

DEFAULT_URL = "http://127.0.0.1:8000"
CONNECT_TIMEOUT_S = 0.3  # a local server accepts at once; anything slower counts as no server
READ_TIMEOUT_S = 120.0  # a server that accepted may still be embedding a long question
BUSY_RETRIES = 3  # a server shedding load (503 + Retry-After) is asked again this often ...
MAX_RETRY_WAIT_S = 5.0  # ... waiting what it asks, up to this


class NoServer(Exception):
    """Nothing usable answers at the URL: the caller answers in-process instead."""


class ServerRefused(Exception):
    """The server answered with a 4xx: the question or its options are wrong (the message says why)."""


@dataclass(frozen=True)
class ServerReply:
    body: dict
    url: str


def post_json(url: str, path: str, body: dict) -> ServerReply:
    """POST a JSON body to a policy-qa server; NoServer when none answers, ServerRefused on a 4xx.

    A busy server (503 with Retry-After) is asked again, a few times, before giving up on it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ServerRefused(f"--url must look like http://host:port (got {url!r})")
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    for attempt in range(BUSY_RETRIES + 1):
        status, retry_after, raw = _post_once(parts, url, path, payload)
        if status != 503 or retry_after is None or attempt == BUSY_RETRIES:
            break
        time.sleep(min(retry_after, MAX_RETRY_WAIT_S))
    try:
        data = json.loads(raw)
    except ValueError:
        raise NoServer(f"{url} is not a policy-qa server (HTTP {status}, not JSON)") from None
    if status == 200 and isinstance(data, dict):
        return ServerReply(data, url)
    if 400 <= status < 500 and status != 404:
        raise ServerRefused(_error_text(data) or f"HTTP {status}")
    # 404: another service on the port; 503: the index is still loading; 5xx: broken. Answer locally.
    raise NoServer(f"the server at {url} cannot answer (HTTP {status}: {_error_text(data)})")


def _post_once(parts: SplitResult, url: str, path: str, payload: bytes) -> tuple[int, float | None, bytes]:
    """Status, Retry-After (seconds, if sent) and body of one POST."""
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=CONNECT_TIMEOUT_S)
    try:
        try:
            connection.connect()
        except OSError as error:
            raise NoServer(f"no server answers at {url} ({error.strerror or error})") from None
        connection.sock.settimeout(READ_TIMEOUT_S)
        try:
            connection.request("POST", parts.path.rstrip("/") + path, payload,
                               {"Content-Type": "application/json", "Accept": "application/json"})
            response = connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise NoServer(f"the server at {url} did not answer ({error})") from None
    finally:
        connection.close()
    retry_after = response.getheader("Retry-After")
    return response.status, float(retry_after) if retry_after and retry_after.isdigit() else None, raw


def _error_text(data: object) -> str:
    if not isinstance(data, dict):
        return ""
    for key in ("message", "detail", "error_msg"):
        if isinstance(data.get(key), str):
            return data[key]
    return json.dumps(data.get("detail", data), ensure_ascii=False)
