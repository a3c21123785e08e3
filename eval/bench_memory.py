"""Memory benchmark: peak RSS (VmHWM in /proc/PID/status) of a served process and of a build.

    policy-qa bench memory [--asks 1000] [--burst-clients 64] [--build cold|warm|skip]

Serving: starts `policy-qa serve` (this checkout, `python -m qa.cli serve`) on a free loopback
port with the current index, and reads the server's VmHWM and VmRSS when it is ready, after
`asks` POST /api/ask of distinct questions (4 clients), and after an overload burst (`burst_clients`
clients at once, each sending questions for BURST_SECONDS; shed 503s are counted).
Building: `python -m qa.cli index build --force` into a temporary index folder (cold: nothing
cached, every passage embedded; warm: the current index's vectors copied in first), peak RSS
from getrusage of the finished child. Prints the figures; README quotes them.
Bounded: every phase has a time budget and the server is stopped at the end.
"""

from __future__ import annotations

import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from eval.gold import load_gold

REPO_DIR = Path(__file__).resolve().parent.parent
READY_TIMEOUT_S = 15 * 60
PHASE_BUDGET_S = 600.0
BURST_SECONDS = 15.0
ASK_CLIENTS = 4


def peak_rss_mb(pid: int) -> tuple[float, float]:
    """(VmHWM, VmRSS) of a process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            fields[name] = int(value.split()[0]) / 1024  # kB → MB
    return fields["VmHWM"], fields["VmRSS"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _questions(count: int) -> list[str]:
    distinct = list(dict.fromkeys(q.question for q in load_gold()))
    return [f"{distinct[i % len(distinct)]}（{i}）" for i in range(count)]  # distinct texts: no cache hits


def _send(url: str, questions: list[str], clients: int, budget_s: float) -> dict[int, int]:
    """Questions shared among `clients` threads until done or the budget is spent; statuses counted."""
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    queue = iter(questions)
    stop = time.monotonic() + budget_s

    def client() -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            while time.monotonic() < stop:
                with lock:
                    question = next(queue, None)
                if question is None:
                    return
                try:
                    status = http.post("/api/ask", json={"question": question, "top_k": 5}).status_code
                except httpx.HTTPError:
                    status = 0
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def bench_serving(asks: int, burst_clients: int) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "qa.cli", "serve", "--port", str(port)], cwd=REPO_DIR,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            try:
                ready = httpx.get(f"{url}/readyz", timeout=5)
                if ready.status_code == 200:
                    break
                if ready.json().get("status") == "failed":
                    raise SystemExit(f"the server failed to load: {ready.json().get('detail')}")
            except (httpx.HTTPError, ValueError):
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not become ready")
            time.sleep(0.5)
        hwm, rss = peak_rss_mb(server.pid)
        print(f"serving, ready:                    peak RSS {hwm:7.0f} MB  (RSS now {rss:.0f} MB)")

        started = time.perf_counter()
        statuses = _send(url, _questions(asks), ASK_CLIENTS, PHASE_BUDGET_S)
        hwm, rss = peak_rss_mb(server.pid)
        print(f"serving, after {sum(statuses.values()):,} asks ({ASK_CLIENTS} clients, "
              f"{time.perf_counter() - started:.0f} s, statuses {statuses}): peak RSS {hwm:7.0f} MB  (RSS now {rss:.0f} MB)")

        statuses = _send(url, _questions(100_000)[asks:], burst_clients, BURST_SECONDS)
        hwm, rss = peak_rss_mb(server.pid)
        print(f"serving, after a burst ({burst_clients} clients for {BURST_SECONDS:.0f} s, statuses {statuses}): "
              f"peak RSS {hwm:7.0f} MB  (RSS now {rss:.0f} MB)")
    finally:
        server.terminate()
        server.wait(30)


def bench_build(kind: str) -> None:
    from qa.config import Settings

    with tempfile.TemporaryDirectory(prefix="policy-qa-bench-memory-") as folder:
        index_dir = Path(folder) / "index"
        if kind == "warm":  # the current index's vectors, so nothing is embedded
            current = Settings().index_dir.resolve()
            shutil.copytree(current, Path(folder) / current.name)
            index_dir.symlink_to(current.name)
        env = os.environ | {"POLICY_QA_INDEX_DIR": str(index_dir)}
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "qa.cli", "index", "build", "--force"], cwd=REPO_DIR, env=env,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=3600)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kB → MB, the largest child
        print(f"building ({kind}, {time.perf_counter() - started:.0f} s):            peak RSS {peak:7.0f} MB")


def main(asks: int = 1000, burst_clients: int = 64, build: str = "cold") -> None:
    print(f"policy-qa bench memory: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    bench_serving(asks, burst_clients)
    if build != "skip":
        bench_build(build)
