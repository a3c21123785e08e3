"""HTTP benchmark: /api/ask latency and throughput through uvicorn, against the bare retrieval costs.

    policy-qa bench api [--requests N] [--concurrency C]
    python -m eval.bench_api --requests 200 --concurrency 8

Starts the app as `policy-qa serve` does (uvicorn, one worker) in a subprocess on 127.0.0.1 and a
free port, waits for /readyz (up to 15 min: a first run may build the index), then measures, with
the gold questions:

1. one keep-alive client sending N sequential POST /api/ask {"question": q, "top_k": 5};
2. C concurrent clients (threads, one keep-alive client each) sending N requests in all;
3. in this process, the bare costs of the same questions: Encoder.embed_query (cold) and BM25
   (tokenize + LexicalIndex.scores),

and prints p50/p95 and the targets: single-client p50 ≤ 40 ms and ≤ 1.5 × (embed p50 + BM25 p50).
Query embeddings are LRU-cached by the server, so the cache is emptied before each phase (through a
route that only this benchmark's server has). The server runs in its own process so that the
clients do not share its GIL; both share the machine's cores (quote os.cpu_count() with the figures).
Bounded: N requests per phase, a time budget per phase, and a server that exits with its parent.
"""

from __future__ import annotations

import argparse
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

import httpx

REPO_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
READY_TIMEOUT_S = 15 * 60
PHASE_BUDGET_S = 300.0  # a phase stops sending after this long and reports what it measured
REQUEST_TIMEOUT_S = 60.0
CLEAR_CACHE_PATH = "/_bench/clear-query-cache"
WARM_UP = ("预热 warm-up 请求", "报装 时限 warm-up", "营商环境 warm-up")
TARGET_P50_MS = 40.0
TARGET_RATIO = 1.5


# ---------------------------------------------------------------- the server (a subprocess)

def serve(port: int, lifetime_s: float) -> None:
    """Run the app as `policy-qa serve` does, plus a route that empties the query-embedding cache.

    Exits by itself when its parent is gone or after `lifetime_s`.
    """
    import uvicorn

    from qa.app import create_app

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
    def clear_query_cache() -> dict:  # sync, so it runs in a request thread like /api/ask
        import torch

        service = app.state.loader.service
        if service is None:
            return {"cleared": False}
        service.retriever.encoder.clear_query_cache()
        # OpenMP thread counts are per thread: report what an embedding in a request thread uses.
        return {"cleared": True, "torch_threads": torch.get_num_threads()}

    uvicorn.run(app, host=HOST, port=port, log_level="warning")


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
    with httpx.Client(base_url=server.base_url, timeout=5.0) as client:
        while time.perf_counter() - started < timeout_s:
            if server.process.poll() is not None:
                raise RuntimeError(f"server exited ({server.process.returncode}):\n{server.log_tail()}")
            try:
                response = client.get("/readyz")
                if response.status_code == 200:
                    return time.perf_counter() - started
                if response.json().get("status") == "failed":
                    raise RuntimeError(f"index failed to load: {response.json().get('detail')}")
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.5)
    raise TimeoutError(f"/readyz not 200 after {timeout_s:.0f} s:\n{server.log_tail()}")


def clear_server_cache(client: httpx.Client) -> int:
    """Empty the server's query-embedding cache; returns the torch threads of a request thread."""
    response = client.post(CLEAR_CACHE_PATH)
    response.raise_for_status()
    if not response.json().get("cleared"):
        raise RuntimeError("the server's query cache could not be cleared (service not loaded)")
    return int(response.json()["torch_threads"])


# ---------------------------------------------------------------- the clients

@dataclass
class Phase:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    server_ms: dict[str, list[float]] = field(default_factory=dict)  # timings_ms the API returns
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    cut_short: bool = False
    torch_threads: int | None = None  # in the server's request threads

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.wall_s if self.wall_s > 0 else 0.0


def ask(client: httpx.Client, question: str, phase: Phase, lock: threading.Lock | None = None) -> None:
    started = time.perf_counter()
    try:
        response = client.post("/api/ask", json={"question": question, "top_k": 5})
        elapsed = (time.perf_counter() - started) * 1000
        ok = response.status_code == 200
        body = response.json() if ok else None
        error = None if ok else f"{response.status_code}: {response.text[:200]}"
    except httpx.HTTPError as exc:
        elapsed, body, error = (time.perf_counter() - started) * 1000, None, f"{type(exc).__name__}: {exc}"
    if lock:
        lock.acquire()
    try:
        if error:
            phase.errors.append(error)
            return
        phase.latencies_ms.append(elapsed)
        for stage, ms in body.get("timings_ms", {}).items():
            phase.server_ms.setdefault(stage, []).append(ms)
    finally:
        if lock:
            lock.release()


def run_single(base_url: str, questions: list[str], budget_s: float = PHASE_BUDGET_S) -> Phase:
    phase = Phase("single client")
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S) as client:
        for q in WARM_UP:  # opens the connection, runs every route code path once
            client.post("/api/ask", json={"question": q, "top_k": 5})
        phase.torch_threads = clear_server_cache(client)
        started = time.perf_counter()
        for question in questions:
            if time.perf_counter() - started > budget_s:
                phase.cut_short = True
                break
            ask(client, question, phase)
        phase.wall_s = time.perf_counter() - started
    return phase


def run_floor(base_url: str, n: int) -> Phase:
    """GET /healthz: a sync route through the same middleware and threadpool, with nothing to compute."""
    phase = Phase("GET /healthz (HTTP floor)")
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S) as client:
        client.get("/healthz")
        started = time.perf_counter()
        for _ in range(n):
            t0 = time.perf_counter()
            response = client.get("/healthz")
            if response.status_code == 200:
                phase.latencies_ms.append((time.perf_counter() - t0) * 1000)
            else:
                phase.errors.append(f"{response.status_code}: {response.text[:200]}")
        phase.wall_s = time.perf_counter() - started
    return phase


def run_concurrent(base_url: str, questions: list[str], concurrency: int, budget_s: float = PHASE_BUDGET_S) -> Phase:
    phase = Phase(f"{concurrency} clients")
    lock = threading.Lock()
    pending = iter(questions)
    clients = [httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S) for _ in range(concurrency)]
    try:
        for client in clients:  # every client opens its keep-alive connection before the clock starts
            client.get("/healthz")
        phase.torch_threads = clear_server_cache(clients[0])
        started = time.perf_counter()

        def worker(client: httpx.Client) -> None:
            while True:
                with lock:
                    question = next(pending, None)
                if question is None:
                    return
                if time.perf_counter() - started > budget_s:
                    phase.cut_short = True
                    return
                ask(client, question, phase, lock)

        threads = [threading.Thread(target=worker, args=(c,), name=f"bench-client-{i}") for i, c in enumerate(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        phase.wall_s = time.perf_counter() - started
    finally:
        for client in clients:
            client.close()
    return phase


# ---------------------------------------------------------------- bare costs, in this process

def measure_bare(questions: list[str], torch_threads: int | None = None) -> tuple[dict[str, list[float]], int]:
    """embed_query with an empty cache, and BM25 (tokenize + scores over every passage), per question.

    `torch_threads`: run torch with as many threads as the server's request threads did (the count
    depends on the thread and on import order), so that like is compared with like. Returns the
    timings and the thread count used.
    """
    import torch

    from index.retriever import Retriever
    from qa.config import Settings

    retriever = Retriever.open(Settings().retriever_config())  # the server built it if it was missing
    encoder, tokenizer, lexical = retriever.encoder, retriever.tokenizer, retriever.lexical
    if torch_threads:
        torch.set_num_threads(torch_threads)
    for q in WARM_UP:  # loads the model and jieba's dictionary
        encoder.embed_query(q)
        lexical.scores(tokenizer.tokenize(q))
    timings: dict[str, list[float]] = {"embed": [], "bm25": []}
    for question in questions:
        encoder.clear_query_cache()
        started = time.perf_counter()
        encoder.embed_query(question)
        timings["embed"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        lexical.scores(tokenizer.tokenize(question))
        timings["bm25"].append((time.perf_counter() - started) * 1000)
    return timings, torch.get_num_threads()


# ---------------------------------------------------------------- figures

def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def row(label: str, values: list[float], throughput: float | None = None) -> str:
    if not values:
        return f"  {label:42s} {0:5d}   (no successful requests)"
    rps = f"{throughput:8.1f}" if throughput is not None else f"{'':8s}"
    return (f"  {label:42s} {len(values):5d} {statistics.median(values):8.2f} {percentile(values, 0.95):8.2f} "
            f"{max(values):8.2f} {rps}")


def gold_questions(n: int) -> tuple[list[str], int]:
    from eval.gold import load_gold

    distinct = list(dict.fromkeys(q.question for q in load_gold()))
    return [distinct[i % len(distinct)] for i in range(n)], len(distinct)


def machine() -> str:
    return (f"{os.cpu_count()} CPUs (os.cpu_count()), {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}")


def load() -> str:
    """Other processes share the cores: a busy machine inflates every figure (p95 and max most)."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def report(single: Phase, concurrent: Phase, floor: Phase, handled: list[float], bare: dict[str, list[float]]) -> None:
    print(f"\n  {'':42s} {'n':>5s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s} {'req/s':>8s}")
    for phase in (single, concurrent):
        print(row(f"POST /api/ask, {phase.name}", phase.latencies_ms, phase.throughput))
    server_total = single.server_ms.get("total", [])
    print(row("  single, in server: handled (access log)", handled))
    print(row("  single, in server: search total", server_total))
    for stage in ("embed", "bm25", "tokenize"):
        print(row(f"  single, in server: search {stage}", single.server_ms.get(stage, [])))
    print(row(floor.name, floor.latencies_ms, floor.throughput))
    print(row("bare embed_query (cold cache)", bare["embed"]))
    print(row("bare BM25 (tokenize + scores)", bare["bm25"]))
    for phase in (single, concurrent, floor):
        if phase.errors:
            print(f"  {phase.name}: {len(phase.errors)} failed requests, first: {phase.errors[0]}")
        if phase.cut_short:
            print(f"  {phase.name}: stopped at the {PHASE_BUDGET_S:.0f} s budget")

    if single.latencies_ms and server_total and handled:
        p50, search_p50, handled_p50 = (statistics.median(v) for v in (single.latencies_ms, server_total, handled))
        print(f"\n  single-client p50 split (differences of p50s): search {search_p50:.1f} ms"
              f" + answer, pydantic, threadpool, middleware {handled_p50 - search_p50:.1f} ms"
              f" + uvicorn, loopback, httpx {p50 - handled_p50:.1f} ms = {p50:.1f} ms")

    print("\ntargets (single client):")
    if not single.latencies_ms:
        print("  no successful requests: nothing to check")
        return
    p50 = statistics.median(single.latencies_ms)
    bare_p50 = statistics.median(bare["embed"]) + statistics.median(bare["bm25"])
    ratio = p50 / bare_p50
    verdict = lambda ok: "PASS" if ok else "FAIL"  # noqa: E731
    print(f"  {verdict(p50 <= TARGET_P50_MS)}  p50 ≤ {TARGET_P50_MS:.0f} ms: {p50:.2f} ms")
    print(f"  {verdict(ratio <= TARGET_RATIO)}  p50 ≤ {TARGET_RATIO} × (embed p50 + BM25 p50) = {TARGET_RATIO} × "
          f"({statistics.median(bare['embed']):.2f} + {statistics.median(bare['bm25']):.2f}) = "
          f"{TARGET_RATIO * bare_p50:.2f} ms: {p50:.2f} ms, ratio {ratio:.2f}×")


def main(requests: int = 200, concurrency: int = 8) -> None:
    if requests < 1 or not 1 <= concurrency <= 64:
        raise ValueError("need --requests ≥ 1 and 1 ≤ --concurrency ≤ 64")
    questions, distinct = gold_questions(requests)
    print(f"machine: {machine()}; {load()}")
    repeats = "" if requests <= distinct else f"; cycled, so questions after the first {distinct} hit the cache"
    print(f"questions: {requests} per phase from {distinct} distinct gold questions{repeats}")
    print("query-embedding cache: emptied in the server before each phase, and before each bare embed_query")

    with tempfile.TemporaryDirectory(prefix="bench_api_") as tmp:
        server = start_server(Path(tmp), lifetime_s=READY_TIMEOUT_S + 3 * PHASE_BUDGET_S + 600)
        try:
            print(f"server: uvicorn subprocess (1 worker, as `policy-qa serve`) at {server.base_url} ...", flush=True)
            ready_s = wait_ready(server)
            print(f"server: ready after {ready_s:.1f} s", flush=True)
            single = run_single(server.base_url, questions)
            floor = run_floor(server.base_url, min(requests, 100))
            concurrent = run_concurrent(server.base_url, questions, concurrency)
        finally:
            server.stop()
        handled = server.handled_ms("/api/ask", phase=1)
    # With the server stopped, so that it does not compete for the cores.
    bare, bare_threads = measure_bare(questions, single.torch_threads)
    report(single, concurrent, floor, handled, bare)
    print(f"\ntorch threads: {single.torch_threads} in the server's request threads, {bare_threads} for the bare "
          f"embed_query")
    print(f"\nafter the run: {load()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per phase (default 200)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients (default 8)")
    args = parser.parse_args()
    main(requests=args.requests, concurrency=args.concurrency)
