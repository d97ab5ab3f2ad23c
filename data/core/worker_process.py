"""The worker as a child process of a web process (`python app.py` with Redis and IOC_RUN_WORKERS=true)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

STOP_WAIT_S = 20.0  # a child worker finishing its job in hand at shutdown


ROOT = Path(__file__).resolve().parents[2]


def spawn_worker() -> subprocess.Popen[bytes]:
    """``python -m data.worker`` as a child of this process: the same environment (so the same
    settings), its log on this console, and it stops by itself if this process dies."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    # Its own session: a Ctrl-C in the terminal reaches app.py only, which then stops the worker once
    # (a second signal would be RQ's cold shutdown, killing the job in hand).
    return subprocess.Popen([sys.executable, "-m", "data.worker", "--parent", str(os.getpid())],
                            env={**os.environ, "PYTHONPATH": path}, start_new_session=True)


def stop_worker(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM (RQ's warm shutdown: the job in hand finishes), then a kill if it takes too long."""
    child.terminate()
    try:
        child.wait(timeout=STOP_WAIT_S)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
