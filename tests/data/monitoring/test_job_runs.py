"""Job stamps, the alert when new reports stop being processed, and /healthz (data/core/job_runs.py,
dashboard/health.py), on SQLite and PostgreSQL, embedded and with the real Redis."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app import create_app
from data.alerts import events as alerts
from data.core.bus import drain
from data.core.job_runs import JobRuns, Run
from data.core.jobs import run_job
from data.core.runtime import Runtime
from data.core.settings import load_settings
from data.models import Alert, utcnow
from data.monitoring.sweeps import ALERT_KIND, SWEEP, SweepWatch, stalled
from data.runtime import build_runtime, connect_redis
from tests.dbfixtures import settings_for


def test_stalled_only_after_a_sweep_was_seen_and_then_none_for_the_limit() -> None:
    now = utcnow()
    since = now - timedelta(minutes=10)
    assert not stalled(None, since, now, 60)  # never seen: /healthz says so, no alert
    assert not stalled(now - timedelta(seconds=59), since, now, 60)
    assert stalled(now - timedelta(seconds=61), since, now, 60)
    assert not stalled(now - timedelta(hours=1), now - timedelta(seconds=30), now, 60)  # watching for 30 s only
    assert not stalled(now - timedelta(hours=1), since, now, 0)  # switched off


def test_scheduled_jobs_stamp_their_runs(runtime: Runtime) -> None:
    before = utcnow()
    run_job(runtime, SWEEP)
    run_job(runtime, "reports.process", report_id=12345)  # not scheduled: no stamp
    last = runtime.job_runs.last()
    assert set(last) == {SWEEP}
    assert last[SWEEP].ok is True and before <= last[SWEEP].started <= last[SWEEP].finished  # type: ignore[operator]


def test_stamps_are_shared_through_redis(redis_url: str, redis_prefix: str) -> None:
    writer = build_runtime(settings_for("sqlite://", redis_url=redis_url, redis_prefix=redis_prefix))
    other_process = connect_redis(redis_url)
    try:
        started = utcnow().replace(microsecond=0)
        writer.job_runs.record(SWEEP, Run(started, started + timedelta(seconds=2), ok=False))
        assert JobRuns(other_process, redis_prefix).last() == {SWEEP: Run(started, started + timedelta(seconds=2),
                                                                          ok=False)}
    finally:
        writer.close()
        other_process.close()


def _open_job_alerts(runtime: Runtime) -> list[Alert]:
    with runtime.session() as s:
        return list(s.scalars(select(Alert).where(Alert.kind == ALERT_KIND, Alert.status.in_(alerts.OPEN_STATUSES))))


def test_a_silent_sweep_raises_one_critical_alert_closed_when_sweeps_resume(runtime: Runtime) -> None:
    watch = SweepWatch(runtime)  # watching from now
    start = utcnow()
    sub = runtime.bus.subscribe("alerts")
    assert watch.check(start + timedelta(minutes=5)) is None  # no sweep ever seen: nothing to say yet
    runtime.job_runs.record(SWEEP, Run(start, start + timedelta(seconds=1), ok=True))
    assert watch.check(start + timedelta(seconds=50)) is None
    assert watch.check(start + timedelta(seconds=61)) == "raised"
    assert watch.check(start + timedelta(seconds=120)) is None  # one alert per cause, never a second
    [alert] = _open_job_alerts(runtime)
    assert alert.severity == "critical" and alert.source_ref == SWEEP
    assert alerts.sop_for(alert.kind).kind == ALERT_KIND  # its own procedure, in Vietnamese and English
    runtime.job_runs.record(SWEEP, Run(start + timedelta(seconds=125)))  # sweeps run again
    assert watch.check(start + timedelta(seconds=130)) == "closed"
    assert _open_job_alerts(runtime) == []
    with runtime.session() as s:
        steps = [(e.action, e.user_id) for e in alerts.history(s, alert.id)]
        note = alerts.history(s, alert.id)[-1].note
    assert steps == [("raised", None), ("close", None)]
    assert note is not None and "chạy lại" in note
    assert [m["action"] for m in drain(sub, 1.0)] == ["raised", "close"]


def test_the_watch_can_be_switched_off(sqlite_url: str) -> None:
    runtime = build_runtime(settings_for(sqlite_url, job_stall_after_s=0))
    try:
        start = utcnow()
        runtime.job_runs.record(SWEEP, Run(start))
        assert SweepWatch(runtime).check(start + timedelta(hours=2)) is None
    finally:
        runtime.close()


def _healthz(runtime: Runtime) -> tuple[int, dict[str, Any]]:
    client = create_app(runtime.settings, runtime).server.test_client()
    answer = client.get("/healthz")
    return answer.status_code, answer.get_json()


def test_healthz_names_the_sweeps_last_start_in_the_citys_time(sqlite_url: str) -> None:
    runtime = build_runtime(settings_for(sqlite_url))
    try:
        status, body = _healthz(runtime)
        assert status == 200
        assert body["jobs"][SWEEP] == {"last_started": None, "late": True}
        assert (body["database"], body["redis"], body["down"], body["ok"]) == ("ok", "unused", [], False)
        run_job(runtime, SWEEP)
        status, body = _healthz(runtime)
        assert status == 200 and body["ok"] is True
        assert body["jobs"][SWEEP]["late"] is False
        assert body["jobs"][SWEEP]["last_started"].endswith("+07:00")  # Asia/Ho_Chi_Minh
    finally:
        runtime.close()


@pytest.mark.parametrize("value", ['{"no.such.job": 5}', '{"reports.process_pending": 0}'])
def test_job_intervals_are_checked(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from data.core.errors import ConfigError
    from data.core.jobs import schedule_for

    monkeypatch.setenv("IOC_JOB_EVERY_S", value)
    with pytest.raises(ConfigError) as refused:
        schedule_for(load_settings(database_url="sqlite://", redis_url=None, demo=False))
    assert "IOC_JOB_EVERY_S" in refused.value.message
