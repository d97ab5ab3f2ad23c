"""CPU burners for the browser tests: the run itself makes the machine busy while a browser test runs,
so a test that waits on time instead of on a state fails here, not once in a while on a loaded CI.

``IOC_TEST_CPU_BURNERS`` processes (default 2, what CI uses; 0 = none) spin at normal priority, only
while a test marked ``browser`` runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

BURNERS = int(os.environ.get("IOC_TEST_CPU_BURNERS", "2"))
SPIN = "while True:\n    pass\n"


class CpuBurners:
    """``count`` processes that each keep one core busy until stopped."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._processes: list[subprocess.Popen[bytes]] = []

    @property
    def running(self) -> bool:
        return bool(self._processes)

    def start(self) -> None:
        if self.running:
            return
        self._processes = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(self.count)]

    def stop(self) -> None:
        processes, self._processes = self._processes, []
        for process in processes:
            process.kill()
        for process in processes:
            process.wait()


@pytest.fixture(scope="session")
def cpu_burners() -> Iterator[CpuBurners]:
    burners = CpuBurners(BURNERS)
    try:
        yield burners
    finally:
        burners.stop()


@pytest.fixture(autouse=True)
def busy_machine_for_browser_tests(request: pytest.FixtureRequest, cpu_burners: CpuBurners) -> None:
    """Burners on for a browser test, off for the others (they would only make the run longer)."""
    if request.node.get_closest_marker("browser") is not None:
        cpu_burners.start()
    else:
        cpu_burners.stop()
