"""Jobs and the bus: overdue alerts, computed KPIs, in-process and RQ runners, local and Redis pub/sub."""

from __future__ import annotations

import threading
from datetime import timedelta

from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from data.alerts.events import history
from data.core.bus import LocalBus, RedisBus, drain
from data.core.jobs import bind_worker_runtime, schedule_for
from data.core.runtime import Runtime
from data.core.settings import load_settings
from data.kpis.computed import compute_report_kpis, follow_reports
from data.models import Alert, IndicatorValue, Report, ReportStatus, utcnow
from data.reports.overdue import flag_overdue
from data.runtime import build_runtime, connect_redis
from tests.dbfixtures import settings_for


def _report(code: str, status: ReportStatus, age_days: float, due_in_days: float,
            resolved_after_h: float | None = None, rating: int | None = None) -> Report:
    created = utcnow() - timedelta(days=age_days)
    return Report(tracking_code=code, channel="web", status=status, description="Cống bị tắc",
                  created_at=created, expected_at=created + timedelta(days=age_days + due_in_days),
                  resolved_at=created + timedelta(hours=resolved_after_h) if resolved_after_h else None,
                  rating=rating, lat=16.46, lon=107.59)


def test_overdue_reports_raise_one_alert_each(runtime: Runtime) -> None:
    with runtime.session() as s:
        s.add_all([
            _report("A-1", ReportStatus.IN_PROGRESS, 6, -1),  # overdue
            _report("A-2", ReportStatus.RECEIVED, 1, 3),  # not yet due
            _report("A-3", ReportStatus.RESOLVED, 6, -1, resolved_after_h=20),  # done: never overdue
        ])
    sub = runtime.bus.subscribe("alerts")
    assert flag_overdue(runtime) == 1
    assert flag_overdue(runtime) == 0  # the same report is not alerted twice
    with runtime.session() as s:
        alerts = s.scalars(select(Alert)).all()
    assert [a.source_ref for a in alerts] == ["A-1"]
    assert [(m["action"], m["id"]) for m in drain(sub, 1.0)] == [("raised", alerts[0].id)]
    with runtime.session() as s:  # its history starts with the system raising it
        assert [(e.action, e.user_id) for e in history(s, alerts[0].id)] == [("raised", None)]


def test_the_overdue_alert_gives_the_deadline_in_the_citys_time(runtime: Runtime) -> None:
    due = (utcnow() - timedelta(days=2)).replace(hour=14, minute=39, second=0, microsecond=0)  # 21:39 in Huế
    with runtime.session() as s:
        s.add(_report("T-1", ReportStatus.IN_PROGRESS, 5, 0))
        s.flush()
        s.scalars(select(Report).where(Report.tracking_code == "T-1")).one().expected_at = due
    assert flag_overdue(runtime) == 1
    with runtime.session() as s:
        assert s.scalars(select(Alert.message)).one() == f"Hạn xử lý: {due:%d/%m/%Y} 21:39"

def test_report_kpis_computed_and_revised(runtime: Runtime) -> None:
    with runtime.session() as s:
        s.add_all([
            _report("K-1", ReportStatus.CLOSED, 0.5, 5, resolved_after_h=2, rating=5),
            _report("K-2", ReportStatus.CLOSED, 0.5, 5, resolved_after_h=4, rating=2),
            _report("K-3", ReportStatus.RECEIVED, 0.2, 5),
        ])
    assert compute_report_kpis(runtime) == 6
    assert compute_report_kpis(runtime) == 0  # nothing changed: no revision is written
    with runtime.session() as s:
        s.add(_report("K-4", ReportStatus.RECEIVED, 0.1, 5))
    assert compute_report_kpis(runtime) == 1  # a revision: the old value stays, marked superseded
    with runtime.session() as s:
        current = dict(s.execute(
            select(IndicatorValue.indicator_id, IndicatorValue.value)
            .where(IndicatorValue.superseded.is_(False))).all())
        superseded = s.scalar(select(func.count()).where(IndicatorValue.superseded.is_(True)))
    values = sorted(current.values())
    # received, resolved, on-time %, median hours, satisfied %, overdue
    assert values == sorted([4.0, 2.0, 100.0, 3.0, 50.0, 0.0])
    assert superseded == 1


def test_report_kpis_follow_report_writes(db_url: str, redis_url: str, redis_prefix: str) -> None:
    """Within a minute of a report write, not at all while reports stand still; with Redis and without."""
    for redis_settings in ({}, {"redis_url": redis_url, "redis_prefix": redis_prefix}):
        rt = build_runtime(settings_for(db_url, **redis_settings))
        try:
            with rt.session() as s:
                s.add(_report(f"F-{len(redis_settings)}", ReportStatus.RECEIVED, 0.2, 5))
            first = follow_reports(rt)
            assert first is not None and first > 0
            assert follow_reports(rt) is None  # nothing was written since: nothing recomputed
            with rt.session() as s:
                s.add(_report(f"G-{len(redis_settings)}", ReportStatus.RECEIVED, 0.1, 5))
            assert follow_reports(rt) == 1  # the received count moved
        finally:
            rt.close()


def test_in_process_scheduler_runs_jobs(tmp_path: object) -> None:
    rt = build_runtime(settings_for(f"sqlite:///{tmp_path}/j.sqlite3"), run_jobs_here=True)
    with rt.session() as s:
        s.add(_report("S-1", ReportStatus.ASSIGNED, 9, -2))
    rt.jobs.start()
    try:
        deadline = utcnow() + timedelta(seconds=15)
        count = 0
        while utcnow() < deadline and count == 0:
            threading.Event().wait(0.5)
            with rt.session() as s:
                count = s.scalar(select(func.count(Alert.id))) or 0
        assert count == 1
    finally:
        rt.close()


def test_rq_worker_runs_queued_job(db_url: str, redis_url: str, redis_prefix: str) -> None:
    rt = build_runtime(settings_for(db_url, redis_url=redis_url, redis_prefix=redis_prefix))
    try:
        with rt.session() as s:
            s.add(_report("R-1", ReportStatus.RECEIVED, 8, -3))
        rt.jobs.enqueue("reports.flag_overdue")
        assert rt.redis is not None
        bind_worker_runtime(rt)
        queue = Queue(f"{redis_prefix}-jobs", connection=rt.redis)
        SimpleWorker([queue], connection=rt.redis).work(burst=True)
        with rt.session() as s:
            assert s.scalar(select(Alert.source_ref)) == "R-1"
    finally:
        rt.close()


def test_schedule_lists_demo_jobs_only_in_demo() -> None:
    plain = load_settings(database_url="sqlite://", redis_url=None, demo=False)
    names = {job.name for job in schedule_for(plain)}
    assert {"reports.flag_overdue", "kpi.compute_reports"} <= names
    assert all(not job.demo_only for job in schedule_for(plain))
    assert "demo.new_report" in {job.name for job in schedule_for(plain.model_copy(update={"demo": True}))}


def test_a_schedule_interval_comes_from_its_setting() -> None:
    settings = load_settings(database_url="sqlite://", redis_url=None, demo=False, imap_every_s=15)
    intervals = {job.name: job.interval_s for job in schedule_for(settings)}
    assert intervals["channels.read_mailbox"] == 15
    assert intervals["outbox.send"] == 10  # no setting: the registered interval


def test_local_bus_fans_out_and_bounds_queues() -> None:
    bus = LocalBus()
    a, b = bus.subscribe("reports"), bus.subscribe("alerts")
    bus.publish("reports", {"id": 1})
    assert a.get(0.1) == {"topic": "reports", "id": 1}
    assert b.get(0.01) is None
    for i in range(1500):
        bus.publish("reports", {"id": i})
    got = list(drain(a))
    assert len(got) == 1000 and got[-1]["id"] == 1499  # the oldest were dropped, not the newest
    a.close()


def test_redis_bus_crosses_connections(redis_url: str, redis_prefix: str) -> None:
    publisher = RedisBus(connect_redis(redis_url), redis_prefix)
    listener = RedisBus(connect_redis(redis_url), redis_prefix).subscribe("cameras")
    listener.get(0.2)  # let the subscription settle
    publisher.publish("cameras", {"id": 7, "state": "offline"})
    assert listener.get(2.0) == {"topic": "cameras", "id": 7, "state": "offline"}
    listener.close()
