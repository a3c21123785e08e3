"""Kill a build run in a child process once it has started writing, as a crash or power cut would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).parents[2]


def kill_build_midway(script: str, args: list[str], started: Callable[[], bool], timeout: float = 120,
                      settle: float = 1.0) -> None:
    """Run `script` with `args`; SIGKILL it `settle` seconds after `started()` first holds."""
    process = subprocess.Popen([sys.executable, "-c", script, *args], cwd=REPO)
    deadline = time.monotonic() + timeout
    while not started():
        assert process.poll() is None, "the build ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(settle)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
