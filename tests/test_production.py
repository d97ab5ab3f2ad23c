"""Production shape: gunicorn workers on PostgreSQL + Redis, and `python -m data.worker` running jobs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from data.models import Alert, Report, ReportStatus, utcnow
from data.runtime import build_runtime
from tests.browser import ADMIN, free_port
from tests.conftest import ROOT
from tests.dbfixtures import fresh_pg_database, settings_for
from tests.logins import session_login


@pytest.fixture
def pg_redis_env(redis_url: str, redis_prefix: str) -> Iterator[dict[str, str]]:
    with fresh_pg_database() as url:
        yield {**os.environ, "IOC_DATABASE_URL": url, "IOC_REDIS_URL": redis_url,
               "IOC_REDIS_PREFIX": redis_prefix, "IOC_SECRET_KEY": "production-test-secret-01",
               "IOC_DEMO": "false", "IOC_RUN_STREAMS": "false", "IOC_RUN_WORKERS": "false",
               "IOC_ADMIN_USERNAME": ADMIN[0], "IOC_ADMIN_PASSWORD": ADMIN[1]}


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_gunicorn_workers_share_sessions_through_the_database(pg_redis_env: dict[str, str],
                                                              tmp_path: Path) -> None:
    port = free_port()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    web = _spawn([gunicorn, "-w", "2", "-b", f"127.0.0.1:{port}", "app:server"], pg_redis_env,
                 tmp_path / "gunicorn.log")
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        else:
            pytest.fail((tmp_path / "gunicorn.log").read_text())
        session = requests.Session()
        assert session.get(f"{base}/", allow_redirects=False).status_code == 302
        login = session_login(session, base, *ADMIN)
        assert login.status_code == 302
        # Several requests land on both workers; each must accept the session cookie.
        assert all(session.get(f"{base}/kpis").status_code == 200 for _ in range(6))
    finally:
        _stop(web)


def test_worker_process_runs_queued_and_scheduled_jobs(pg_redis_env: dict[str, str], tmp_path: Path) -> None:
    settings = settings_for(pg_redis_env["IOC_DATABASE_URL"], redis_url=pg_redis_env["IOC_REDIS_URL"],
                            redis_prefix=pg_redis_env["IOC_REDIS_PREFIX"])
    runtime = build_runtime(settings)
    created = utcnow() - timedelta(days=10)
    with runtime.session() as s:
        s.add(Report(tracking_code="W-1", channel="hotline", status=ReportStatus.ASSIGNED,
                     description="Mất điện kéo dài", created_at=created, expected_at=created + timedelta(days=2)))
    worker = _spawn([sys.executable, "-m", "data.worker"], pg_redis_env, tmp_path / "worker.log")
    try:
        runtime.jobs.enqueue("reports.flag_overdue")
        deadline = time.monotonic() + 60
        found = None
        while time.monotonic() < deadline and found is None:
            time.sleep(0.5)
            with runtime.session() as s:
                found = s.scalar(select(Alert.source_ref).where(Alert.source_ref == "W-1"))
        assert found == "W-1", (tmp_path / "worker.log").read_text()[-3000:]
    finally:
        _stop(worker)
        runtime.close()
    log = (tmp_path / "worker.log").read_text()
    assert "this worker runs the job schedule" in log
