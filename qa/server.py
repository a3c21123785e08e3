"""Running the app under uvicorn with limits for slow or idle clients.

uvicorn (0.55, h11) has a keep-alive timeout but no header-read timeout: a client that sends its
request line a byte a second holds a connection for ever. `TimedH11Protocol` closes a connection
whose request headers are not complete within `header_timeout` seconds. Slow bodies are the
request guard's job (qa/api/middleware.py: 408 after `body_timeout`).

The event loop is uvloop where installed (uvicorn's "auto"), and a response goes out in one send
(`CoalescingTransport`). httptools was measured too (0.2 ms less than h11 under uvloop on a canned
response) but is not used: it would need this header timeout and h11's 16 KiB header limit written
again for its parser.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import os

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from qa.config import Settings

log = logging.getLogger(__name__)
KEEP_ALIVE_SECONDS = 5
MALLOC_ARENAS = 2  # glibc's default is 8 per core: every worker thread's allocations pinned apart
M_ARENA_MAX = -8  # mallopt parameter number (malloc.h)
MAX_HEADER_BYTES = 16 * 1024  # h11's limit on a request line plus headers (its default is 16 KiB too)


class TimedH11Protocol(H11Protocol):
    header_timeout = 10.0  # set by `serve` from the settings

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
        self._header_timer: asyncio.TimerHandle | None = None
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:
            self._arm_header_timer()  # a new request has begun to arrive (or is still arriving)
        else:
            self._cancel_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.logger.info("closing a connection whose request headers took over %g s", self.header_timeout)
            self.transport.close()


class CoalescingTransport:
    """Writes made in one turn of the event loop go out in one send: h11 writes a response's status
    line and headers, its body and its end apart, and each send wakes the client (and on a busy
    machine lets it take the server's core) before the response is whole. Measured on a canned
    /api/ask response over loopback: p50 0.2–0.3 ms less a request."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)

    def flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> object:
        return getattr(self._transport, name)


def serve(host: str, port: int, settings: Settings | None = None) -> None:
    """Serve the app; refuses (UnsafeBinding) to listen beyond loopback without a chosen key."""
    from qa.app import create_app

    settings = settings or Settings()
    settings.check_binding(host)
    run_app(create_app(settings), host, port, settings)


def run_app(app: object, host: str, port: int, settings: Settings) -> None:
    """Run an app under uvicorn with the server's limits (`serve`, and `policy-qa bench api`'s server)."""
    limit_malloc_arenas()
    TimedH11Protocol.header_timeout = settings.header_timeout
    # loop "auto": uvloop where it is installed (a pinned dependency off Windows), else asyncio.
    uvicorn.run(app, host=host, port=port, log_level="warning", http=TimedH11Protocol, loop="auto",
                timeout_keep_alive=KEEP_ALIVE_SECONDS, h11_max_incomplete_event_size=MAX_HEADER_BYTES,
                server_header=False)



def limit_malloc_arenas() -> None:
    """Fewer glibc malloc arenas: the request threads' freed memory is reused instead of each
    thread keeping its own (what MALLOC_ARENA_MAX does, set from inside the process)."""
    libc_name = ctypes.util.find_library("c")
    if libc_name and "MALLOC_ARENA_MAX" not in os.environ:
        try:
            ctypes.CDLL(libc_name).mallopt(M_ARENA_MAX, MALLOC_ARENAS)
        except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
            log.debug("mallopt unavailable; malloc arenas left as they are")
