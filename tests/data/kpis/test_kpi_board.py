"""The leaders' board, a KPI's detail, computed report KPIs and KPI alerts, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from data.core.bus import drain
from data.core.runtime import Runtime
from data.kpis.alerts import raise_threshold_alerts, threshold_alerts
from data.kpis.board import board, detail
from data.kpis.computed import compute_report_kpis
from data.kpis.status import KpiStatus
from data.models import (
    AdminUnit,
    Agency,
    Alert,
    Camera,
    CameraState,
    CameraStatus,
    Indicator,
    IndicatorValue,
    ReportStatus,
    utcnow,
)
from tests.dbfixtures import open_runtime
from tests.factories import report, world

TODAY = date(2026, 3, 10)


def _indicator(s: Session, code: str, frequency: str = "month", direction: str = "up", target: float | None = 90.0,
               amber: float | None = 80.0, red: float | None = 70.0, theme: str = "economy") -> Indicator:
    row = Indicator(code=code, name=f"Chỉ số {code}", name_en=f"KPI {code}", theme=theme, unit="%",
                    frequency=frequency, direction=direction, target=target, amber_threshold=amber,
                    red_threshold=red, source="Sở KH&ĐT", owner="UBND")
    s.add(row)
    s.flush()
    return row


def _value(s: Session, ind: Indicator, period: str, start: date, value: float, **fields: Any) -> None:
    s.add(IndicatorValue(indicator_id=ind.id, period=period, period_start=start, value=value,
                         received_at=datetime(2026, 3, 9, 8), **fields))


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _seed_board(s: Session) -> dict[str, int]:
    """Three indicators: a monthly one with history, a stale one, a yearly one; plus rows the cards ignore."""
    unit = AdminUnit(level="ward", code="W1", name="Phường Vĩnh Ninh")
    agency = Agency(code="so-xd", name="Sở Xây dựng")
    s.add_all([unit, agency])
    s.flush()
    rate = _indicator(s, "online_pct")
    for month in range(1, 13):
        _value(s, rate, f"2025-{month:02d}", date(2025, month, 1), 70.0 + month)
    _value(s, rate, "2026-01", date(2026, 1, 1), 88.0)
    _value(s, rate, "2026-02", date(2026, 2, 1), 60.0, superseded=True)  # a revision replaced it
    _value(s, rate, "2026-02", date(2026, 2, 1), 85.0)
    _value(s, rate, "2026-02", date(2026, 2, 1), 99.0, admin_unit_id=unit.id)
    _value(s, rate, "2026-02", date(2026, 2, 1), 51.0, admin_unit_id=None, agency_id=agency.id)
    _value(s, rate, "2026-02", date(2026, 2, 1), 77.0, place="Quảng Trị")
    stale = _indicator(s, "accidents", direction="down", target=15.0, amber=20.0, red=25.0, theme="security")
    _value(s, stale, "2025-11", date(2025, 11, 1), 12.0)
    grdp = _indicator(s, "grdp_per_capita", frequency="year", target=85.0, amber=75.0, red=65.0)
    for year, v in ((2023, 68.5), (2024, 76.4), (2025, 84.1)):
        _value(s, grdp, str(year), date(year, 1, 1), v)
    for place, v in (("Đà Nẵng", 140.2), ("Quảng Trị", 62.0), ("Quảng Nam", 80.3)):
        _value(s, grdp, "2025", date(2025, 1, 1), v, place=place)
    _value(s, grdp, "2024", date(2024, 1, 1), 200.0, place="Hà Nội")  # an older year: not compared
    _indicator(s, "empty")
    return {"unit": unit.id, "agency": agency.id, "rate": rate.id, "grdp": grdp.id}


def test_board_builds_every_card_in_two_queries(runtime: Runtime) -> None:
    with runtime.session() as s:
        _seed_board(s)
    with runtime.session() as s, counted(runtime.engine) as statements:
        cards = {c.spec.code: c for c in board(s, TODAY)}
    assert len(statements) == 2
    rate = cards["online_pct"]
    # Feb 2026 city-wide is 85 (the superseded 60, the ward's, agency's and Quảng Trị's rows are not it).
    assert (rate.period, rate.value, rate.status) == ("2026-02", 85.0, KpiStatus.AMBER)
    assert rate.vs_previous is not None and rate.vs_previous.delta == -3.0 and rate.vs_previous.better is False
    assert rate.vs_last_year is not None and rate.vs_last_year.delta == 13.0  # Feb 2025: 72
    assert rate.spark[-3:] == (82.0, 88.0, 85.0) and len(rate.spark) == 13
    accidents = cards["accidents"]  # November's figure is too old in March: grey, not green
    assert (accidents.status, accidents.value, accidents.stale_period) == (KpiStatus.GREY, None, "2025-11")
    grdp = cards["grdp_per_capita"]
    assert (grdp.period, grdp.value, grdp.status) == ("2025", 84.1, KpiStatus.AMBER)
    assert grdp.vs_previous is not None and grdp.vs_previous.pct == 10.1
    assert cards["empty"].status == KpiStatus.GREY and cards["empty"].spark == ()


def test_detail_has_series_breakdowns_and_other_provinces(runtime: Runtime) -> None:
    with runtime.session() as s:
        _seed_board(s)
    with runtime.session() as s:
        rate = detail(s, "online_pct", TODAY)
        grdp = detail(s, "grdp_per_capita", TODAY)
        assert detail(s, "nothing", TODAY) is None
    assert rate is not None and grdp is not None
    assert [p.value for p in rate.series][-3:] == [82.0, 88.0, 85.0] and len(rate.series) == 14
    assert rate.by_unit is not None
    assert (rate.by_unit.period, rate.by_unit.rows) == ("2026-02", [("Phường Vĩnh Ninh", 99.0)])
    assert rate.by_agency is not None and rate.by_agency.rows == [("Sở Xây dựng", 51.0)]
    assert rate.places is not None and rate.places.rows == [(None, 85.0), ("Quảng Trị", 77.0)]
    assert grdp.by_unit is None and grdp.by_agency is None
    assert grdp.places is not None and grdp.places.period == "2025"
    assert grdp.places.rows == [("Đà Nẵng", 140.2), (None, 84.1), ("Quảng Nam", 80.3), ("Quảng Trị", 62.0)]
    assert (grdp.source, grdp.owner) == ("Sở KH&ĐT", "UBND")


def _month_start() -> datetime:
    now = utcnow()
    return datetime(now.year, now.month, 1)


def _current_values(s: Session, code: str) -> dict[tuple[int | None, int | None], float]:
    rows = s.execute(
        select(IndicatorValue.admin_unit_id, IndicatorValue.agency_id, IndicatorValue.value)
        .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
        .where(Indicator.code == code, IndicatorValue.superseded.is_(False))
    )
    return {(unit, agency): value for unit, agency, value in rows}


def test_report_kpis_by_city_agency_and_ward(runtime: Runtime) -> None:
    t0 = _month_start()
    with runtime.session() as s:
        w = world(s)
        a, b, ward, ward_2 = w.agency_a, w.agency_b, w.ward, w.ward_2
        report(s, w, status=ReportStatus.CLOSED, created_at=t0, agency_id=a, admin_unit_id=ward,
               resolved_at=t0 + timedelta(hours=10), expected_at=t0 + timedelta(days=5), rating=5)
        report(s, w, status=ReportStatus.CLOSED, created_at=t0, agency_id=a, admin_unit_id=ward_2,
               resolved_at=t0 + timedelta(days=6), expected_at=t0 + timedelta(days=5), rating=2)
        report(s, w, status=ReportStatus.RESOLVED, created_at=t0, agency_id=b, admin_unit_id=ward,
               resolved_at=t0 + timedelta(hours=30), expected_at=t0 + timedelta(days=5), rating=4)
        report(s, w, status=ReportStatus.ASSIGNED, created_at=t0 + timedelta(minutes=1), agency_id=b,
               admin_unit_id=ward, expected_at=t0 + timedelta(days=400))
        # Received last month, still open, past its deadline: overdue now, not received this month.
        report(s, w, status=ReportStatus.IN_PROGRESS, created_at=t0 - timedelta(days=20), agency_id=b,
               admin_unit_id=ward_2, expected_at=t0 - timedelta(days=1))
        cam_ok = Camera(code="C1", name="Cầu Trường Tiền", admin_unit_id=ward, stream_url="rtsp://x/1")
        cam_down = Camera(code="C2", name="Chợ Đông Ba", admin_unit_id=ward, stream_url="rtsp://x/2")
        cam_gone = Camera(code="C3", name="Ga Huế", admin_unit_id=ward_2, stream_url="rtsp://x/3")
        s.add_all([cam_ok, cam_down, cam_gone])
        s.flush()
        s.add_all([CameraStatus(camera_id=cam_ok.id, state=CameraState.ONLINE, updated_at=utcnow()),
                   CameraStatus(camera_id=cam_down.id, state=CameraState.OFFLINE, updated_at=utcnow()),
                   # Its last word is an hour old: unknown, left out rather than counted as down.
                   CameraStatus(camera_id=cam_gone.id, state=CameraState.ONLINE,
                                updated_at=utcnow() - timedelta(hours=1))])
    written = compute_report_kpis(runtime)
    with runtime.session() as s:
        received = _current_values(s, "reports_received")
        assert received == {(None, None): 4, (None, a): 2, (None, b): 2, (ward, None): 3, (ward_2, None): 1}
        assert _current_values(s, "reports_resolved") == {(None, None): 3, (None, a): 2, (None, b): 1,
                                                         (ward, None): 2, (ward_2, None): 1}
        on_time = _current_values(s, "reports_on_time_pct")
        assert on_time[(None, None)] == pytest.approx(66.7) and on_time[(None, a)] == 50.0
        assert on_time[(None, b)] == 100.0 and on_time[(ward_2, None)] == 0.0
        median = _current_values(s, "reports_median_hours")
        assert (median[(None, None)], median[(None, a)], median[(ward, None)]) == (30.0, 77.0, 20.0)
        satisfied = _current_values(s, "reports_satisfaction_pct")
        assert satisfied[(None, None)] == pytest.approx(66.7) and satisfied[(ward, None)] == 100.0
        assert _current_values(s, "reports_overdue") == {(None, None): 1, (None, a): 0, (None, b): 1,
                                                        (ward, None): 0, (ward_2, None): 1}
        assert _current_values(s, "camera_availability_pct") == {(None, None): 50.0, (ward, None): 50.0}
        total = s.scalar(select(func.count()).select_from(IndicatorValue))
    assert written == total == 6 * 5 + 2  # six report KPIs × (city, 2 agencies, 2 wards) + cameras

    # Nothing changed: a second pass writes nothing (no pile of identical revisions every 10 minutes).
    assert compute_report_kpis(runtime) == 0
    with runtime.session() as s:
        late = s.scalar(select(func.min(IndicatorValue.id)).join(Indicator)
                        .where(Indicator.code == "reports_overdue"))
        assert late is not None
        # The overdue report is resolved: its agency and ward drop to 0, the old values stay as revisions.
        from data.models import Report
        s.execute(Report.__table__.update().where(Report.expected_at < t0)
                  .values(status=ReportStatus.RESOLVED, resolved_at=utcnow()))
    assert compute_report_kpis(runtime) == 3
    with runtime.session() as s:
        assert _current_values(s, "reports_overdue") == {(None, None): 0, (None, a): 0, (None, b): 0,
                                                        (ward, None): 0, (ward_2, None): 0}
        assert s.scalar(select(func.count()).where(IndicatorValue.superseded.is_(True))) == 3


def _red_and_amber(s: Session) -> tuple[int, int, int]:
    red = _indicator(s, "red_one")
    _value(s, red, "2026-02", date(2026, 2, 1), 60.0)
    amber = _indicator(s, "amber_one")
    _value(s, amber, "2026-02", date(2026, 2, 1), 85.0)
    green = _indicator(s, "green_one", direction="down", target=15.0, amber=20.0, red=25.0)
    _value(s, green, "2026-02", date(2026, 2, 1), 12.0)
    return red.id, amber.id, green.id


def test_a_red_kpi_raises_one_alert_per_period(runtime: Runtime) -> None:
    with runtime.session() as s:
        ids = _red_and_amber(s)
    sub = runtime.bus.subscribe("alerts")
    assert raise_threshold_alerts(runtime, ids, today=TODAY) == 1
    assert raise_threshold_alerts(runtime, ids, today=TODAY) == 0  # recomputed: no second alert
    with runtime.session() as s:
        alert = s.scalars(select(Alert)).one()
        assert (alert.kind, alert.severity, alert.source, alert.source_ref) == ("kpi", "critical", "kpi",
                                                                                "red_one@2026-02")
        assert alert.title == "Chỉ số “Chỉ số red_one” chưa đạt mục tiêu"
        assert alert.message == "Kỳ 2026-02: 60 % (mục tiêu 90 %)."
        # Next month's value is red again: a new period, a new alert.
        _value(s, s.scalars(select(Indicator).where(Indicator.code == "red_one")).one(), "2026-03",
               date(2026, 3, 1), 65.0)
    assert raise_threshold_alerts(runtime, ids, today=TODAY) == 1
    messages = list(drain(sub, 1.0))
    assert [(m["kind"], m["severity"], m["action"]) for m in messages] == [("kpi", "critical", "raised")] * 2


def test_amber_alerts_when_configured(db_url: str) -> None:
    with open_runtime(db_url, kpi_alert_on_amber=True) as runtime:
        with runtime.session() as s:
            ids = _red_and_amber(s)
            # The demo raised this one already (same key): it is not raised twice.
            s.add(Alert(kind="kpi", severity="critical", title="…", source="kpi", source_ref="red_one@2026-02",
                        message="Kỳ 2026-02: 60 % (mục tiêu 90 %)."))
        assert raise_threshold_alerts(runtime, ids, today=TODAY) == 1
        with runtime.session() as s:
            assert s.execute(select(Alert.source_ref, Alert.severity).where(Alert.severity == "warning")).all() \
                == [("amber_one@2026-02", "warning")]
            assert threshold_alerts(s, None, TODAY, on_amber=True) == []  # every indicator, nothing new
