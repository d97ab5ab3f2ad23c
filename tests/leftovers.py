"""What a test run leaves running at its end: non-daemon threads and child processes.

Either one holds the run open after its summary (Python joins non-daemon threads at exit, and a
child outlives its parent): one failing test then turns into a CI job that times out. The session's
end (``tests/conftest.py``) fails the run and names them instead.
"""

from __future__ import annotations

import concurrent.futures.thread
import threading
import time

import psutil

POLL_S = 0.1


def leftover_threads() -> list[str]:
    """Every live thread that Python joins at exit: the non-daemon ones but the main thread, and the
    workers of every ``concurrent.futures`` thread pool, daemon or not (a pool's threads inherit the
    daemon flag of the thread that made them, and ``concurrent.futures`` joins them all at exit)."""
    main = threading.main_thread()
    pooled = set(concurrent.futures.thread._threads_queues)  # private, but exactly what the exit joins
    return [f"thread {t.name!r} ({'thread pool worker' if t in pooled else 'non-daemon'})"
            for t in threading.enumerate()
            if t is not main and t.is_alive() and (not t.daemon or t in pooled)]


def leftover_processes() -> list[str]:
    """Every live child process of this one (at any depth), with its command line."""
    found: list[str] = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() == psutil.STATUS_ZOMBIE:
                continue  # ended, only not reaped: it holds nothing
            found.append(f"process {child.pid}: {' '.join(child.cmdline())[:300]}")
        except psutil.NoSuchProcess:
            continue
    return found


def leftovers(grace_s: float) -> list[str]:
    """What is still running once ``grace_s`` has passed (or nothing, as soon as nothing is):
    a thread or process told to stop just before gets that long to go."""
    deadline = time.monotonic() + grace_s
    while True:
        found = leftover_threads() + leftover_processes()
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(POLL_S)
