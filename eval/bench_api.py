"""HTTP benchmark: /api/ask at 1, 8, 32 and 64 clients through uvicorn, against a bare query embedding.

    policy-qa bench api [--requests N] [--clients 1,8,32,64]
    python -m eval.bench_api --requests 200 --clients 1,8,32,64

Starts the app as `policy-qa serve` does (uvicorn, one worker, its limits) in a subprocess on 127.0.0.1 and a
free port, waits for /readyz (up to 15 min: a first run may build the index), then, per client
count C: C threads (one keep-alive client each) send N POST /api/ask {"question": q, "top_k": 5}
in all, distinct questions (the gold questions, then numbered variants of them), with the server's
query-embedding cache emptied first (through a route only this benchmark's server has). A shed
request (503 with Retry-After) is counted, and its client waits as told before its next question.
Then, in this process with the server stopped: the bare costs of the same questions
(Encoder.embed_query with an empty cache and no batching; BM25).

Prints per phase: requests served, req/s, p50/p95/p99/max of the served requests, other errors,
shed requests, the encoder's mean batch, and the CPU time the server process and the clients took
per request (/proc; CPU time, unlike wall time, hardly changes when other work shares the cores);
then issue 12's targets, as ratios of the same run.
Bounded: N requests per phase, a time budget per phase, and a server that exits with its parent.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


from eval.bench_memory import peak_rss_mb

REPO_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
READY_TIMEOUT_S = 15 * 60
PHASE_BUDGET_S = 300.0  # a phase stops sending after this long and reports what it measured
REQUEST_TIMEOUT_S = 60.0
CLEAR_CACHE_PATH = "/_bench/clear-query-cache"
WARM_UP = ("预热 warm-up 请求", "报装 时限 warm-up", "营商环境 warm-up")
# Issue 12's targets.
TARGET_SPEEDUP_8 = 2.5  # req/s at 8 clients over req/s at 1
TARGET_P99_8_MS = 150.0
TARGET_P99_64_MS = 1000.0
TARGET_RATIO = 1.2  # single-client p50 over one bare query embedding's p50


# ---------------------------------------------------------------- the server (a subprocess)

def serve(port: int, lifetime_s: float) -> None:
    """Run the app as `policy-qa serve` does, plus a route that empties the query-embedding cache.

    Exits by itself when its parent is gone or after `lifetime_s`.
    """
    from qa.app import create_app
    from qa.server import run_app

    parent = os.getppid()
    started = time.monotonic()

    def watchdog() -> None:
        while os.getppid() == parent and time.monotonic() - started < lifetime_s:
            time.sleep(1)
        os._exit(3)

    threading.Thread(target=watchdog, name="bench-watchdog", daemon=True).start()
    logging.basicConfig(level=logging.INFO, format="%(message)s")  # as `policy-qa serve`: access log on
    app = create_app()

    @app.post(CLEAR_CACHE_PATH, include_in_schema=False)
    def clear_query_cache() -> dict:
        service = app.state.loader.service
        if service is None:
            return {"cleared": False}
        encoder = service.retriever.encoder
        encoder.clear_query_cache()
        batcher = encoder.batcher
        return {"cleared": True, "batches": batcher.batches if batcher else 0, "items": batcher.items if batcher else 0}

    run_app(app, HOST, port, app.state.settings)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    base_url: str
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def handled_ms(self, path: str, phase: int) -> list[float]:
        """The access log's `ms` (middleware in to response out) for `path`, in the phase-th measured phase.

        Phases are told apart by the cache-clearing request that opens each one.
        """
        seen, found = 0, []
        for line in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if not isinstance(entry, dict):
                continue
            if entry.get("path") == CLEAR_CACHE_PATH:
                seen += 1
            elif seen == phase and entry.get("path") == path and entry.get("status") == 200:
                found.append(float(entry["ms"]))
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start_server(log_dir: Path, lifetime_s: float) -> Server:
    port = free_port()
    log_path = log_dir / "server.log"
    code = f"from eval.bench_api import serve; serve({port}, {lifetime_s})"
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-c", code], cwd=REPO_DIR, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    return Server(process, f"http://{HOST}:{port}", log_path)


def wait_ready(server: Server, timeout_s: float = READY_TIMEOUT_S) -> float:
    started = time.perf_counter()
    connection = Connection(server.base_url, timeout=5.0)
    try:
        while time.perf_counter() - started < timeout_s:
            if server.process.poll() is not None:
                raise RuntimeError(f"server exited ({server.process.returncode}):\n{server.log_tail()}")
            try:
                status, _, body = connection.request("GET", "/readyz")
                if status == 200:
                    return time.perf_counter() - started
                if json.loads(body).get("status") == "failed":
                    raise RuntimeError(f"index failed to load: {json.loads(body).get('detail')}")
            except (OSError, http.client.HTTPException):
                pass  # not listening yet
            time.sleep(0.5)
    finally:
        connection.close()
    raise TimeoutError(f"/readyz not 200 after {timeout_s:.0f} s:\n{server.log_tail()}")


def clear_server_cache(connection: Connection) -> tuple[int, int]:
    """Empty the server's query-embedding cache; returns the encoder's (batches, items) so far."""
    status, _, body = connection.request("POST", CLEAR_CACHE_PATH)
    cleared = json.loads(body) if status == 200 else {}
    if not cleared.get("cleared"):
        raise RuntimeError(f"the server's query cache could not be cleared ({status}: service not loaded?)")
    return int(cleared["batches"]), int(cleared["items"])


# ---------------------------------------------------------------- the clients

@dataclass
class Phase:
    clients: int
    latencies_ms: list[float] = field(default_factory=list)  # served (200) requests
    bodies: list[bytes] = field(default_factory=list)  # of the served requests
    shed_ms: list[float] = field(default_factory=list)  # 503 with Retry-After
    errors: list[str] = field(default_factory=list)  # anything else
    wall_s: float = 0.0
    cut_short: bool = False
    batches: int = 0  # the encoder's forward passes during the phase, and the questions they held
    items: int = 0
    server_cpu_s: float = float("nan")  # CPU time (user + system) of the server process during the phase
    client_cpu_s: float = float("nan")  # … and of this process (the clients)

    def server_ms(self, stage: str) -> list[float]:
        """The `timings_ms` the API returned for a stage of the search, per served request."""
        return [json.loads(body)["timings_ms"].get(stage, float("nan")) for body in self.bodies]

    def cpu_ms_per_request(self, seconds: float) -> float:
        answered = len(self.latencies_ms) + len(self.shed_ms)
        return seconds * 1000 / answered if answered else float("nan")

    @property
    def name(self) -> str:
        return f"{self.clients} client{'s' if self.clients > 1 else ''}"

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.wall_s if self.wall_s > 0 else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)


class Connection:
    """One keep-alive HTTP/1.1 connection (the standard library's): a load generator should cost the
    machine it shares with the server as little as it can, and httpx takes ~1.4 ms of CPU a request."""

    def __init__(self, base_url: str, timeout: float = REQUEST_TIMEOUT_S) -> None:
        url = urlsplit(base_url)
        self._connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)

    def request(self, method: str, path: str, payload: dict | None = None) -> tuple[int, dict[str, str], bytes]:
        body = None if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        headers = {} if body is None else {"content-type": "application/json"}
        try:
            self._connection.request(method, path, body, headers)
            response = self._connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        except (OSError, http.client.HTTPException):
            self._connection.close()  # the next request opens a new connection
            raise

    def close(self) -> None:
        self._connection.close()


def ask(connection: Connection, question: str, phase: Phase, lock: threading.Lock) -> float:
    """One request; returns the seconds to wait before the next one (a shed request's Retry-After)."""
    started = time.perf_counter()
    retry_after, body, error = 0.0, b"", None
    try:
        status, headers, body = connection.request("POST", "/api/ask", {"question": question, "top_k": 5})
        if status == 503 and headers.get("retry-after", "").isdigit():
            retry_after = float(headers["retry-after"])
        elif status != 200:
            error = f"{status}: {body[:200].decode(errors='replace')}"
    except (OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"
    elapsed = (time.perf_counter() - started) * 1000
    with lock:
        if error:
            phase.errors.append(error)
        elif retry_after:
            phase.shed_ms.append(elapsed)
        else:
            phase.latencies_ms.append(elapsed)
            phase.bodies.append(body)  # parsed after the phase, off the clock
    return retry_after


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; nan elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (fields 14, 15)


def run_phase(base_url: str, questions: list[str], clients: int, budget_s: float = PHASE_BUDGET_S,
              server_pid: int | None = None) -> Phase:
    phase = Phase(clients)
    lock = threading.Lock()
    pending = iter(questions)
    connections = [Connection(base_url) for _ in range(clients)]
    try:
        for connection in connections:  # every client opens its keep-alive connection before the clock starts
            for q in WARM_UP[:1] if connection is connections[0] else ():
                connection.request("POST", "/api/ask", {"question": q, "top_k": 5})
            connection.request("GET", "/healthz")
        before = clear_server_cache(connections[0])
        server_cpu = cpu_seconds(server_pid) if server_pid else float("nan")
        client_cpu = time.process_time()
        started = time.perf_counter()

        def worker(connection: Connection) -> None:
            while True:
                with lock:
                    question = next(pending, None)
                if question is None:
                    return
                if time.perf_counter() - started > budget_s:
                    phase.cut_short = True
                    return
                wait = ask(connection, question, phase, lock)
                if wait:
                    time.sleep(min(wait, max(0.0, budget_s - (time.perf_counter() - started))))

        threads = [threading.Thread(target=worker, args=(c,), name=f"bench-client-{i}")
                   for i, c in enumerate(connections)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        phase.wall_s = time.perf_counter() - started
        phase.client_cpu_s = time.process_time() - client_cpu
        if server_pid:
            phase.server_cpu_s = cpu_seconds(server_pid) - server_cpu
        after = clear_server_cache(connections[0])
        phase.batches, phase.items = after[0] - before[0], after[1] - before[1]
    finally:
        for connection in connections:
            connection.close()
    return phase


# ---------------------------------------------------------------- bare costs, in this process

def measure_bare(questions: list[str]) -> tuple[dict[str, list[float]], int]:
    """embed_query with an empty cache and no batching, and BM25 (tokenize + top candidates), per question.

    torch runs with the threads the server's encoder worker uses (the `threads` setting), so that
    like is compared with like. Returns the timings and the thread count.
    """
    import torch

    from index.retriever import Retriever
    from qa.config import Settings

    settings = Settings()
    retriever = Retriever.open(settings.retriever_config())  # the server built it if it was missing
    encoder, tokenizer, lexical = retriever.encoder, retriever.tokenizer, retriever.lexical
    torch.set_num_threads(settings.threads)
    for q in WARM_UP:  # loads the model and jieba's dictionary
        encoder.embed_query(q)
        lexical.top(tokenizer.tokenize(q), retriever.config.candidates)
    timings: dict[str, list[float]] = {"embed": [], "bm25": []}
    for question in questions:
        encoder.clear_query_cache()
        started = time.perf_counter()
        encoder.embed_query(question)
        timings["embed"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        lexical.top(tokenizer.tokenize(question), retriever.config.candidates)
        timings["bm25"].append((time.perf_counter() - started) * 1000)
    return timings, torch.get_num_threads()


# ---------------------------------------------------------------- figures

def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def distinct_questions(n: int) -> tuple[list[str], int]:
    """n distinct questions: the gold questions, then numbered variants (no cache hit between them)."""
    from eval.gold import load_gold

    distinct = list(dict.fromkeys(q.question for q in load_gold()))
    return [distinct[i] if i < len(distinct) else f"{distinct[i % len(distinct)]}（{i // len(distinct)}）"
            for i in range(n)], len(distinct)


def machine() -> str:
    return (f"{os.cpu_count()} CPUs (os.cpu_count()), {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}")


def load() -> str:
    """Other processes share the cores: a busy machine inflates every figure (p95 and max most)."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def report(phases: list[Phase], handled: list[float], bare: dict[str, list[float]]) -> None:
    print("\n| clients | served | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | shed | shed p99 ms | mean batch "
          "| CPU ms/request: server / clients |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for ph in phases:
        batch = f"{ph.items / ph.batches:.1f}" if ph.batches else "-"
        shed_p99 = f"{percentile(ph.shed_ms, 0.99):.1f}" if ph.shed_ms else "-"
        print(f"| {ph.clients} | {len(ph.latencies_ms)} | {ph.throughput:.1f} | {ph.p(0.5):.1f} | {ph.p(0.95):.1f} | "
              f"{ph.p(0.99):.1f} | {max(ph.latencies_ms, default=float('nan')):.1f} | {len(ph.errors)} | "
              f"{len(ph.shed_ms)} | {shed_p99} | {batch} | {ph.cpu_ms_per_request(ph.server_cpu_s):.1f} / "
              f"{ph.cpu_ms_per_request(ph.client_cpu_s):.1f} |")
    for ph in phases:
        if ph.errors:
            print(f"  {ph.name}: {len(ph.errors)} failed requests, first: {ph.errors[0]}")
        if ph.cut_short:
            print(f"  {ph.name}: stopped at the {PHASE_BUDGET_S:.0f} s budget")
    embed_p50, bm25_p50 = statistics.median(bare["embed"]), statistics.median(bare["bm25"])
    print(f"\nbare, in this process with the server stopped: embed_query p50 {embed_p50:.2f} ms "
          f"(p95 {percentile(bare['embed'], 0.95):.2f}), BM25 (tokenize + top candidates) p50 {bm25_p50:.2f} ms")

    by_clients = {ph.clients: ph for ph in phases}
    single = by_clients.get(1)
    if single and single.latencies_ms and handled:
        p50 = single.p(0.5)
        search_p50 = statistics.median(single.server_ms("total"))
        handled_p50 = statistics.median(handled)
        print(f"single-client p50 split (differences of p50s): search {search_p50:.1f} ms (of which embed "
              f"{statistics.median(single.server_ms('embed')):.1f})"
              f" + answer, pydantic, threadpool, middleware {handled_p50 - search_p50:.1f} ms"
              f" + uvicorn, loopback, client {p50 - handled_p50:.1f} ms = {p50:.1f} ms")

    print("\ntargets (issue 12; ratios of this run):")
    verdict = lambda ok: "PASS" if ok else "FAIL"  # noqa: E731
    eight, many = by_clients.get(8), by_clients.get(64)
    if single and single.latencies_ms:
        ratio = single.p(0.5) / embed_p50
        print(f"  {verdict(ratio <= TARGET_RATIO)}  1 client p50 ≤ {TARGET_RATIO} × bare embed p50: "
              f"{single.p(0.5):.1f} / {embed_p50:.1f} = {ratio:.2f}×")
    if single and eight and single.throughput:
        speedup = eight.throughput / single.throughput
        print(f"  {verdict(speedup >= TARGET_SPEEDUP_8)}  8 clients req/s ≥ {TARGET_SPEEDUP_8} × 1 client's: "
              f"{eight.throughput:.1f} / {single.throughput:.1f} = {speedup:.2f}×")
    if eight:
        print(f"  {verdict(eight.p(0.99) <= TARGET_P99_8_MS)}  8 clients p99 ≤ {TARGET_P99_8_MS:.0f} ms: "
              f"{eight.p(0.99):.1f} ms")
    if many:
        ok = many.p(0.99) <= TARGET_P99_64_MS and not many.errors
        print(f"  {verdict(ok)}  64 clients p99 ≤ {TARGET_P99_64_MS:.0f} ms with 0 errors: {many.p(0.99):.1f} ms, "
              f"{len(many.errors)} errors, {len(many.shed_ms)} shed with 503 + Retry-After")


def main(requests: int = 200, clients: list[int] | None = None) -> None:
    clients = clients or [1, 8, 32, 64]
    if requests < 1 or not all(1 <= c <= 256 for c in clients):
        raise ValueError("need --requests ≥ 1 and 1 ≤ clients ≤ 256")
    questions, distinct = distinct_questions(requests * len(clients))
    print(f"machine: {machine()}; {load()}")
    print(f"questions: {requests} per phase, all distinct across phases ({distinct} gold questions, then numbered "
          f"variants); the server's query-embedding cache is emptied before each phase")

    phases: list[Phase] = []
    with tempfile.TemporaryDirectory(prefix="bench_api_") as tmp:
        server = start_server(Path(tmp), lifetime_s=READY_TIMEOUT_S + len(clients) * PHASE_BUDGET_S + 600)
        try:
            print(f"server: uvicorn subprocess (1 worker, as `policy-qa serve`) at {server.base_url} ...", flush=True)
            ready_s = wait_ready(server)
            print(f"server: ready after {ready_s:.1f} s", flush=True)
            for n, count in enumerate(clients):
                phases.append(run_phase(server.base_url, questions[n * requests:(n + 1) * requests], count,
                                        server_pid=server.process.pid))
                print(f"  {phases[-1].name}: {len(phases[-1].latencies_ms)} served, {len(phases[-1].shed_ms)} shed, "
                      f"{len(phases[-1].errors)} errors in {phases[-1].wall_s:.1f} s", flush=True)
            peak_mb = peak_rss_mb(server.process.pid)[0]
        finally:
            server.stop()
        # The access log's handled time of the single-client phase (the first cache clear opens it).
        handled = server.handled_ms("/api/ask", phase=1) if clients[0] == 1 else []
    # With the server stopped, so that it does not compete for the cores.
    bare, threads = measure_bare(questions[:requests])
    report(phases, handled, bare)
    print(f"\nencoder threads: {threads} (the server's workers and the bare embedding alike); "
          f"server peak RSS (VmHWM) after the phases: {peak_mb:,.0f} MB")
    print(f"after the run: {load()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per phase (default 200)")
    parser.add_argument("--clients", default="1,8,32,64", help="client counts, one phase each (default 1,8,32,64)")
    args = parser.parse_args()
    main(requests=args.requests, clients=[int(c) for c in args.clients.split(",")])
