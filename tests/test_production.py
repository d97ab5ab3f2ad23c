"""Production shape: gunicorn workers on PostgreSQL + Redis, and `python -m data.worker` running jobs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psutil
import pytest
import requests
from rq import Queue
from rq.job import Job
from sqlalchemy import select

from data.core.jobs import schedule_for
from data.demo import seed_demo
from data.models import Alert, Report, ReportStatus, utcnow
from data.runtime import build_runtime
from tests.browser import ADMIN, free_port, start_app, stop_app
from tests.conftest import ROOT
from tests.dbfixtures import fresh_pg_database, open_runtime, settings_for
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


def _gunicorn(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``gunicorn -w 2 app:server`` on a free port, once it answers /healthz; its process and base URL."""
    port = free_port()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    web = _spawn([gunicorn, "-w", "2", "-b", f"127.0.0.1:{port}", "app:server"], env, log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=1).ok:
                return web, base
        except requests.RequestException:
            time.sleep(0.5)
    _stop(web)
    pytest.fail(log.read_text())


def test_gunicorn_web_processes_run_no_jobs(pg_redis_env: dict[str, str], tmp_path: Path) -> None:
    """IOC_RUN_WORKERS (default true) is for ``python app.py``: under gunicorn every web process would
    otherwise start its own ``python -m data.worker``, each running the whole schedule."""
    env = {k: v for k, v in pg_redis_env.items() if k != "IOC_RUN_WORKERS"}
    log = tmp_path / "gunicorn.log"
    web, _ = _gunicorn(env, log)
    try:
        deadline = time.monotonic() + 90
        while log.read_text().count("gunicorn serves the web only") < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert log.read_text().count("gunicorn serves the web only") == 2, log.read_text()
        commands = [" ".join(p.cmdline()) for p in psutil.Process(web.pid).children(recursive=True)]
        assert len(commands) == 2 and not any("data.worker" in c for c in commands), commands
    finally:
        _stop(web)


def test_gunicorn_workers_share_sessions_through_the_database(pg_redis_env: dict[str, str],
                                                              tmp_path: Path) -> None:
    web, base = _gunicorn(pg_redis_env, tmp_path / "gunicorn.log")
    try:
        session = requests.Session()
        anonymous = session.get(f"{base}/kpis", allow_redirects=False)
        assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login?")
        login = session_login(session, base, *ADMIN)
        assert login.status_code == 302
        # Several requests land on both workers; each must accept the session cookie: the page itself,
        # not a redirect to the login page (followed, that would answer 200 too).
        answers = [session.get(f"{base}/kpis", allow_redirects=False) for _ in range(6)]
        assert [a.status_code for a in answers] == [200] * 6, [a.headers.get("Location") for a in answers]
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


SWEEPS = 3  # runs of every scheduled job the worker must get through


def _finished_by_name(queue: Queue) -> Counter[str]:
    ids = queue.finished_job_registry.get_job_ids()
    return Counter(job.args[0] for job in Job.fetch_many(ids, connection=queue.connection) if job is not None)


def test_worker_runs_every_scheduled_job_on_postgres_without_a_failure(pg_redis_env: dict[str, str],
                                                                       tmp_path: Path) -> None:
    """Each job runs in a process forked from the worker: none may reuse the worker's pooled connections.

    It did: every forked job inherited the same psycopg connection, and once one job had prepared a
    statement on it the next failed with ``prepared statement "_pg3_0" already exists``.
    """
    url, prefix = pg_redis_env["IOC_DATABASE_URL"], pg_redis_env["IOC_REDIS_PREFIX"]
    settings = settings_for(url, demo=True, demo_reports=200, demo_cameras=5,
                            redis_url=pg_redis_env["IOC_REDIS_URL"], redis_prefix=prefix)
    runtime = build_runtime(settings)
    seed_demo(runtime, settings)  # every demo job has work: reports, cameras, sensors, boats
    names = sorted(job.name for job in schedule_for(settings))
    # The real jobs on the real path, only more often than their own intervals (minutes to a day).
    env = {**pg_redis_env, "IOC_DEMO": "true", "IOC_JOB_EVERY_S": json.dumps(dict.fromkeys(names, 5))}
    assert runtime.redis is not None
    queue = Queue(f"{prefix}-jobs", connection=runtime.redis)
    worker = _spawn([sys.executable, "-m", "data.worker"], env, tmp_path / "worker.log")
    done: Counter[str] = Counter()
    try:
        deadline = time.monotonic() + 280
        while time.monotonic() < deadline and queue.failed_job_registry.count == 0:
            done = _finished_by_name(queue)
            if all(done[name] >= SWEEPS for name in names):
                break
            time.sleep(1)
    finally:
        _stop(worker)
        failed = queue.failed_job_registry.get_job_ids()
        runtime.close()
    log = (tmp_path / "worker.log").read_text()
    assert failed == [], log[-4000:]
    assert {name: done[name] for name in names if done[name] < SWEEPS} == {}, log[-4000:]
    problems = [line for line in log.splitlines() if " ERROR " in line or "Traceback" in line]
    assert problems == [], log[-4000:]


def _gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status  # exited, waiting to be reaped


def test_app_py_with_redis_runs_the_jobs(redis_url: str, redis_prefix: str, tmp_path: Path) -> None:
    """``python app.py`` with IOC_REDIS_URL (and IOC_RUN_WORKERS at its default) runs the jobs: it used to
    queue them in Redis for a worker nobody had started, and said nothing."""
    app = start_app(tmp_path, IOC_REDIS_URL=redis_url, IOC_REDIS_PREFIX=redis_prefix, IOC_DEMO="false",
                    IOC_RUN_STREAMS="false")
    try:
        with open_runtime(app.database_url) as runtime, runtime.session() as s:
            s.add(Report(tracking_code="APP-1", channel="hotline", status=ReportStatus.RECEIVED,
                         description="Cây đổ chắn ngang đường", created_at=utcnow()))
        deadline = time.monotonic() + 120
        while not app.scalars(select(Report.processed_at).where(Report.tracking_code == "APP-1"))[0]:
            assert time.monotonic() < deadline, app.log()[-4000:]
            time.sleep(0.5)
        started = re.search(r"python -m data.worker runs them \(pid (\d+)\)", app.log())
        assert started is not None, app.log()[-4000:]
    finally:
        stop_app(app)
    worker = int(started.group(1))
    deadline = time.monotonic() + 60
    while not _gone(worker):  # app.py stops the worker it started
        assert time.monotonic() < deadline, app.log()[-4000:]
        time.sleep(0.2)
