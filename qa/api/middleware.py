"""The outermost layer of every request: a request id, the access log, security headers, the body
size limit, the JSON content type, the body read timeout and the request deadline.

Written as plain ASGI (not BaseHTTPMiddleware) so that it sees the body as it arrives: a body
larger than the limit is refused before anything parses it or checks a key, and a request whose
handler outlives the deadline is answered while the handler finishes in the background.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import dataclass

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("policy_qa.access")
REQUEST_ID = "x-request-id"
# The page loads its script, style and data from this origin only; nothing may frame it.
SECURITY_HEADERS = (
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
     b"form-action 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
DOCS_CSP = (b"content-security-policy",  # the bundled Swagger page runs an inline script
            b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            b"img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int
    body_timeout: float  # seconds the client may pause while sending the body
    deadline: float  # seconds before a request is answered 503


class RequestGuard:
    def __init__(self, app: ASGIApp, limits: Limits, json_paths: tuple[str, ...],
                 upload_limits: Limits | None = None, upload_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.limits = limits
        self.json_paths = json_paths
        # Document uploads carry files and index them: a larger body and a longer deadline.
        self.upload_limits = upload_limits or limits
        self.upload_paths = upload_paths

    def _limits_for(self, scope: Scope) -> Limits:
        return self.upload_limits if scope["method"] == "POST" and scope["path"] in self.upload_paths else self.limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:16]
        response = _Response(send, request_id, docs=scope["path"].startswith(("/docs", "/redoc")))
        limits = self._limits_for(scope)
        try:
            too_large = self._declared_too_large(scope, limits)
            not_json = self._not_json(scope)
            if too_large:
                await response.error(413, too_large, close=True)
            elif not_json:
                await response.error(400, not_json)
            else:
                await self._call_with_deadline(scope, self._limited(receive, limits), response, limits)
        except Exception:
            log.exception("request %s failed", request_id)
            if not response.status:
                await response.error(500, f"internal error; the server log has the details (request id {request_id})")
        finally:
            log.info(json.dumps({"request_id": request_id, "method": scope["method"], "path": scope["path"],
                                 "status": response.status or 499,  # 499: the client left before an answer
                                 "ms": round((time.perf_counter() - started) * 1000, 1)}))

    def _declared_too_large(self, scope: Scope, limits: Limits) -> str | None:
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    return None  # the server refuses a malformed length before we see it
                if length > limits.max_body_bytes:
                    return f"request body of {length} bytes is over the limit of {limits.max_body_bytes} bytes"
        return None

    def _not_json(self, scope: Scope) -> str | None:
        if scope["method"] != "POST" or scope["path"] not in self.json_paths:
            return None
        content_type = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
        if content_type.split(";")[0].strip().lower() == "application/json":
            return None
        return f"Content-Type must be application/json (got {content_type or 'none'})"

    def _limited(self, receive: Receive, limits: Limits) -> Receive:
        """The body as it arrives, cut off past the size limit and after a pause past the timeout."""
        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            try:
                message = await asyncio.wait_for(receive(), limits.body_timeout)
            except TimeoutError:
                raise HTTPException(408, f"the request body did not arrive within {limits.body_timeout:g} s",
                                    headers={"connection": "close"}) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limits.max_body_bytes:
                    raise HTTPException(413, f"request body is over the limit of {limits.max_body_bytes} bytes",
                                        headers={"connection": "close"})
            return message

        return receive_limited

    async def _call_with_deadline(self, scope: Scope, receive: Receive, response: _Response, limits: Limits) -> None:
        # The handler runs as a task: past the deadline the client gets its answer at once, and a
        # handler still busy in a worker thread finishes unseen (whatever it sends is dropped).
        task = asyncio.ensure_future(self.app(scope, receive, response.send))
        done, _ = await asyncio.wait({task}, timeout=limits.deadline)
        if task in done:
            task.result()
            return
        task.add_done_callback(_log_late_failure)
        if not response.status:
            await response.error(503, f"the request took longer than {limits.deadline:g} s; retry later",
                                 headers=[(b"retry-after", b"5")])
        response.closed = True
        task.cancel()


class _Response:
    """The response side of one request: adds the request id and security headers to what is sent."""

    def __init__(self, send: Send, request_id: str, docs: bool) -> None:
        self._send = send
        self.request_id = request_id
        self.docs = docs
        self.status = 0
        self.closed = False

    async def send(self, message: Message) -> None:
        if self.closed:
            return
        if message["type"] == "http.response.start":
            self.status = message["status"]
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-security-policy"]
            headers += [DOCS_CSP if self.docs and k == b"content-security-policy" else (k, v)
                        for k, v in SECURITY_HEADERS]
            headers.append((REQUEST_ID.encode(), self.request_id.encode()))
            message = {**message, "headers": headers}
        await self._send(message)

    async def error(self, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None,
                    close: bool = False) -> None:
        body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
        all_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        all_headers += headers or []
        if close:
            all_headers.append((b"connection", b"close"))
        await self.send({"type": "http.response.start", "status": status, "headers": all_headers})
        await self.send({"type": "http.response.body", "body": body})


def _log_late_failure(task: asyncio.Future) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("a request that passed its deadline then failed: %r", task.exception())
