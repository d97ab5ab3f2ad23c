"""CPU time of processes, for the benches' "where did the time go" lines (psutil)."""

from __future__ import annotations

import psutil


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) of these processes and their children, alive now."""
    total = 0.0
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            for p in [proc, *proc.children(recursive=True)]:
                times = p.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def postgres_pids() -> list[int]:
    return [p.pid for p in psutil.process_iter(["name"]) if p.info["name"] in ("postgres", "postgresql")]
