"""`policy-qa bench api` end to end: its server (a subprocess serving the real index) and its clients."""

from __future__ import annotations

import json
from pathlib import Path

from eval.bench_api import distinct_questions, run_phase, start_server, wait_ready


def test_a_phase_serves_distinct_questions_and_counts_the_encoder_batches(tmp_path: Path) -> None:
    server = start_server(tmp_path, lifetime_s=600)
    try:
        wait_ready(server, timeout_s=600)
        questions, _ = distinct_questions(6)
        phase = run_phase(server.base_url, questions, clients=2, server_pid=server.process.pid)
    finally:
        server.stop()
    assert (len(phase.latencies_ms), phase.errors, phase.shed_ms) == (6, [], [])
    assert [json.loads(body)["question"] for body in phase.bodies] != [] and phase.server_ms("embed")
    assert 1 <= phase.batches <= 6 and phase.items == 6  # every question embedded once, none from the cache
    assert phase.server_cpu_s > 0 and phase.throughput > 0
