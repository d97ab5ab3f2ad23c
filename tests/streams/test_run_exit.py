"""A failing test must not hold the test run open: the deliberately failing tests of
``failing_gateway_probe.py`` run in a pytest of their own, which must end soon after its summary,
saying the test failed (not crashing, not hanging, nothing left running)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = "tests/failing_gateway_probe.py"
SUMMARY = re.compile(rb"^(=+ )?\d+ [a-z]+.* in [\d.]+s( \([\d:]+\))?( =+)?$")  # e.g. "1 failed in 3.28s"
SUMMARY_WITHIN_S = 600  # the probe's own set-up (RTSP server, gateway, Chromium) on a loaded machine
EXIT_WITHIN_S = 30

pytestmark = pytest.mark.integration  # runs pytest on a gateway probe, as processes


class Output:
    """A process's output, read in a thread, with the moment its final summary line came."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.lines: list[bytes] = []
        self.summary_at: float | None = None
        self.summary_line = ""
        self.summary = threading.Event()
        assert process.stdout is not None
        self._stream = process.stdout
        self.thread = threading.Thread(target=self._read, name="probe-output", daemon=True)
        self.thread.start()

    def _read(self) -> None:
        for line in self._stream:
            self.lines.append(line)
            if SUMMARY.match(line.rstrip()):
                self.summary_at, self.summary_line = time.monotonic(), line.decode(errors="replace").strip()
                self.summary.set()
        self.summary.set()  # the end of the output: no summary is coming

    def text(self) -> str:
        return b"".join(self.lines).decode(errors="replace")


def crash_or_tail(text: str) -> str:
    """A crash's report (faulthandler's, from its first line), else the end of the output."""
    start = text.find("Fatal Python error")
    return text[start:start + 5000] if start >= 0 else text[-5000:]


@pytest.mark.timeout(SUMMARY_WITHIN_S + EXIT_WITHIN_S + 120)
@pytest.mark.parametrize("probe", [
    "test_fails_with_a_wedged_worker",
    pytest.param("test_fails_while_viewers_watch_a_transcoded_camera", marks=pytest.mark.browser),
])
def test_a_failing_gateway_test_still_ends_the_run(probe: str) -> None:
    env = {**os.environ, "IOC_TEST_CPU_BURNERS": "0"}  # this run's own burners load the machine already
    process = subprocess.Popen([sys.executable, "-m", "pytest", f"{PROBE}::{probe}", "-q", "-p", "no:cacheprovider"],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)  # its own group: everything it started can be killed
    output = Output(process)
    try:
        output.summary.wait(SUMMARY_WITHIN_S)
        assert output.summary_at is not None, f"no summary from the probe run:\n{crash_or_tail(output.text())}"
        try:
            process.wait(max(0.0, output.summary_at + EXIT_WITHIN_S - time.monotonic()))
        except subprocess.TimeoutExpired:
            pytest.fail(f"the probe run was still alive {EXIT_WITHIN_S} s after its summary:\n{output.text()[-5000:]}")
    finally:
        with contextlib.suppress(ProcessLookupError):  # whatever of the probe's group is left, hung or not
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        output.thread.join(30)
    text = output.text()
    assert output.summary_at is not None
    print(f"{probe}: the run ended {time.monotonic() - output.summary_at:.1f} s after its summary")
    assert process.returncode == pytest.ExitCode.TESTS_FAILED, f"exit code {process.returncode}:\n{text[-5000:]}"
    # One failure, the deliberate one; no error (a fixture whose stop failed, say the gateway's).
    assert re.match(r"^(=+ )?1 failed in ", output.summary_line), text[-5000:]
    assert "deliberate failure, the run must still end" in text, text[-5000:]
    assert "still running at the end of the run" not in text, text[-5000:]
