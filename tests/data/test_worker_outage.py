"""The job worker outlives a Redis outage: production shape (``python -m data.worker`` on PostgreSQL, the
web app taking Open311 posts), with a PRIVATE Redis server this test starts, kills for 10 s and starts
again on the same port, without its data (never the shared Redis other tests use).

Every report posted before, during and after the outage must be processed within 30 s of Redis
returning, with no restart of anything: while idle the worker's schedule used to die with the lock it
could no longer extend, and while busy the worker itself exited.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app import create_app
from data.accounts.apikeys import create_api_key
from data.core.runtime import Runtime
from data.models import Category, Report, ReportStatus, utcnow
from data.runtime import build_runtime
from tests.browser import free_port
from tests.conftest import ROOT
from tests.data.intake.test_open311 import INSIDE, _seed
from tests.dbfixtures import fresh_pg_database, settings_for

OUTAGE_S = 10.0
CATCH_UP_S = 30.0  # every report processed within this of Redis returning
BACKLOG = 300  # unprocessed reports: the worker is busy on them when Redis goes


@dataclass
class PrivateRedis:
    """A redis-server of this test's own on a free port, with no persistence: a restart loses everything."""

    port: int
    workdir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is required (apt-get install redis-server)", pytrace=False)
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                client.ping()
                client.close()
                return
            except redis.RedisError:
                time.sleep(0.1)
        pytest.fail(f"the private redis-server did not answer on port {self.port}", pytrace=False)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@dataclass
class Stack:
    runtime: Runtime  # the web app's (and the test's window on the database)
    web: str
    api_key: str
    worker: subprocess.Popen[bytes]
    worker_log: Path
    redis: PrivateRedis

    def post(self, text: str) -> str:
        """An Open311 report; its tracking code, answered only once it is committed."""
        response = requests.post(f"{self.web}/open311/v2/requests.json", timeout=60, data={
            "api_key": self.api_key, "service_code": "rac-thai", "description": text, **INSIDE})
        assert response.status_code == 200, response.text
        return str(response.json()[0]["service_request_id"])

    def unprocessed(self) -> int:
        with self.runtime.session() as s:
            return int(s.scalar(select(func.count()).where(Report.processed_at.is_(None))) or 0)

    def backlog_left(self) -> int:
        with self.runtime.session() as s:
            return int(s.scalar(select(func.count()).where(Report.processed_at.is_(None),
                                                          Report.tracking_code.like("BACKLOG-%"))) or 0)

    def log(self) -> str:
        return self.worker_log.read_text(encoding="utf-8", errors="replace")

    def wait_until(self, condition: str, check: object, timeout: float) -> float:
        """Poll ``check()`` until it is true; how long it took (fails, with the worker's log, at ``timeout``)."""
        assert callable(check)
        started = time.monotonic()
        while not check():
            assert self.worker.poll() is None, f"the worker exited:\n{self.log()[-6000:]}"
            if time.monotonic() - started > timeout:
                pytest.fail(f"{condition}: not after {timeout:.0f} s (unprocessed: {self.unprocessed()})\n"
                            f"{self.log()[-6000:]}", pytrace=False)
            time.sleep(0.2)
        return time.monotonic() - started


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    private = PrivateRedis(free_port(), tmp_path)
    private.start()
    with ExitStack() as exits:
        exits.callback(private.kill)
        url = exits.enter_context(fresh_pg_database())
        settings = settings_for(url, redis_url=private.url, redis_prefix="ioc-outage", upload_dir=tmp_path / "up")
        runtime = build_runtime(settings)
        exits.callback(runtime.close)
        _seed(runtime)
        with runtime.session() as s:
            _, key = create_api_key(s, "outage test")
        app = create_app(settings, runtime)
        port = free_port()
        server = make_server("127.0.0.1", port, app.server, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        exits.callback(server.shutdown)
        env = {**os.environ, "IOC_DATABASE_URL": url, "IOC_REDIS_URL": private.url, "IOC_REDIS_PREFIX": "ioc-outage",
               "IOC_DEMO": "false", "IOC_SECRET_KEY": "outage-test-secret-0123", "IOC_UPLOAD_DIR": str(tmp_path / "up")}
        log = tmp_path / "worker.log"
        with log.open("wb") as out:
            worker = subprocess.Popen([sys.executable, "-m", "data.worker"], cwd=ROOT, env=env, stdout=out,
                                      stderr=subprocess.STDOUT)
        exits.callback(_stop, worker)
        yield Stack(runtime, f"http://127.0.0.1:{port}", key, worker, log, private)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _backlog(runtime: Runtime, n: int) -> None:
    """``n`` committed, unprocessed reports at once (as a burst of posts leaves them), in one transaction."""
    with runtime.session() as s:
        category = s.scalar(select(Category.id).where(Category.code == "rac-thai"))
        now = utcnow()
        s.add_all([Report(tracking_code=f"BACKLOG-{i}", channel="app", status=ReportStatus.RECEIVED,
                          description=f"Rác ứ đọng trước nhà số {i}", category_id=category,
                          lat=16.43 + (i % 20) * 0.003, lon=107.56 + (i // 20) * 0.004,  # ~300 m apart
                          created_at=now, updated_at=now) for i in range(n)])


def _post_for(stack: Stack, seconds: float, label: str) -> list[str]:
    """Post a report about twice a second for ``seconds``: the web path while Redis is down."""
    codes, started = [], time.monotonic()
    while time.monotonic() - started < seconds:
        codes.append(stack.post(f"Rác ứ đọng ({label} {len(codes)})"))
        time.sleep(0.5)  # pacing the posts over the outage, not waiting for anything
    return codes


@pytest.mark.parametrize("case", ["idle", "busy"])
def test_reports_are_processed_after_a_redis_outage_without_a_restart(stack: Stack, case: str) -> None:
    stack.wait_until("the worker leads the schedule", lambda: "runs the job schedule" in stack.log(), 120)
    before = [stack.post(f"Rác ứ đọng (trước {i})") for i in range(5)]
    stack.wait_until("reports posted before are processed", lambda: stack.unprocessed() == 0, 120)
    if case == "busy":
        _backlog(stack.runtime, BACKLOG)
        stack.wait_until("the worker is busy on the backlog", lambda: stack.unprocessed() < BACKLOG, 120)
        assert stack.unprocessed() > 0, "the backlog was done before Redis went: nothing was busy"

    stack.redis.kill()
    during = _post_for(stack, OUTAGE_S, "trong lúc Redis ngừng")
    assert len(during) >= 5  # each answered 200 with its tracking code: committed while Redis was down
    if case == "busy":  # the job in hand ends while Redis is still down: RQ's worker then quits
        stack.wait_until("the backlog is done during the outage", lambda: stack.backlog_left() == 0, 240)
    stack.redis.start()
    back = time.monotonic()
    after = [stack.post(f"Rác ứ đọng (sau {i})") for i in range(5)]

    took = stack.wait_until("every report processed after Redis returned", lambda: stack.unprocessed() == 0,
                            CATCH_UP_S - (time.monotonic() - back))
    assert time.monotonic() - back <= CATCH_UP_S, took
    assert stack.worker.poll() is None  # the same worker process, never restarted
    with stack.runtime.session() as s:
        codes = set(s.scalars(select(Report.tracking_code).where(Report.processed_at.is_not(None))))
    assert set(before + during + after) <= codes
