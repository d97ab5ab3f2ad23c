"""Demo alerts of the last days: overdue reports, KPIs off target, a camera that dropped, the weather."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.core.db import bulk_insert
from data.core.sla import deadline_text
from data.kpis.alerts import alert_ref
from data.kpis.status import kpi_status
from data.models import OPEN_STATUSES, Alert, AlertEvent, Camera, Indicator, IndicatorValue, Report

ALERT_DEFAULTS = {"lat": None, "lon": None, "status": "new", "acknowledged_at": None, "source_ref": None}


def weather_alert(month: int, warnings: dict[str, dict[str, str]]) -> dict[str, str]:
    """The weather warning that fits the month: rains and floods, summer heat, or winter cold."""
    if month >= 9:
        return warnings["rain"]
    return warnings["heat"] if 4 <= month <= 8 else warnings["cold"]


def _overdue_alerts(session: Session, now: datetime, tz: tzinfo) -> list[dict[str, Any]]:
    # Same wording and source_ref as the reports.flag_overdue job, so it never raises them twice.
    rows = session.execute(
        select(Report.tracking_code, Report.lat, Report.lon, Report.expected_at)
        .where(Report.status.in_([s.value for s in OPEN_STATUSES]), Report.expected_at < now)
        .order_by(Report.expected_at.desc())
        .limit(3)
    ).all()
    return [
        {
            "kind": "overdue_report",
            "severity": "warning",
            "title": f"Phản ánh {r.tracking_code} quá hạn xử lý",
            "message": deadline_text(r.expected_at, tz),
            "source": "reports",
            "source_ref": r.tracking_code,
            "lat": r.lat,
            "lon": r.lon,
            "created_at": max(r.expected_at, now - timedelta(days=2)),
        }
        for r in rows
    ]


def _latest_city_values(session: Session) -> list[Any]:
    latest = (
        select(IndicatorValue.indicator_id, func.max(IndicatorValue.period_start).label("start"))
        .where(IndicatorValue.admin_unit_id.is_(None))
        .group_by(IndicatorValue.indicator_id)
        .subquery()
    )
    return list(
        session.execute(
            select(Indicator, IndicatorValue)
            .join(latest, latest.c.indicator_id == Indicator.id)
            .join(
                IndicatorValue,
                (IndicatorValue.indicator_id == Indicator.id)
                & (IndicatorValue.period_start == latest.c.start)
                & IndicatorValue.admin_unit_id.is_(None),
            )
            .order_by(Indicator.sort_order)
        ).all()
    )


def _kpi_alerts(session: Session, now: datetime) -> list[dict[str, Any]]:
    alerts: list[dict[str, Any]] = []
    for ind, val in _latest_city_values(session):
        target = val.target if val.target is not None else ind.target
        status = kpi_status(
            val.value, direction=ind.direction, target=target, amber=ind.amber_threshold, red=ind.red_threshold
        )
        if status in ("amber", "red") and len(alerts) < 2:
            alerts.append(
                {
                    "kind": "kpi",
                    "severity": "critical" if status == "red" else "warning",
                    "title": f"Chỉ số “{ind.name}” chưa đạt mục tiêu",
                    "message": f"Kỳ {val.period}: {val.value:g} {ind.unit} (mục tiêu {target:g} {ind.unit}).",
                    "source": "kpi",
                    "source_ref": alert_ref(ind.code, val.period),  # as kpi_alerts would raise it
                    "created_at": now - timedelta(hours=20),
                }
            )
    return alerts


def _camera_alerts(session: Session, now: datetime) -> list[dict[str, Any]]:
    camera = session.execute(select(Camera.code, Camera.name, Camera.lat, Camera.lon).order_by(Camera.id)).first()
    if camera is None:
        return []
    return [
        {
            "kind": "camera_offline",
            "severity": "warning",
            "title": f"Camera mất tín hiệu: {camera.name}",
            "message": "Không nhận được hình ảnh trong hơn 60 giây; đã tự kết nối lại sau 4 phút.",
            "source": "streams",
            "source_ref": camera.code,
            "lat": camera.lat,
            "lon": camera.lon,
            "created_at": now - timedelta(hours=26),
            "status": "acknowledged",
            "acknowledged_at": now - timedelta(hours=25, minutes=40),
        }
    ]


def _weather_alert_row(catalogue: dict[str, Any], now: datetime) -> dict[str, Any]:
    local_month = (now + timedelta(hours=catalogue["meta"]["utc_offset_hours"])).month
    weather = weather_alert(local_month, catalogue["texts"]["weather"])
    return {
        "kind": "weather",
        "severity": "warning",
        "title": weather["title"],
        "message": weather["message"],
        "source": "weather",
        "source_ref": "KTTV Trung Trung Bộ",
        "lat": catalogue["meta"]["centre"][0],
        "lon": catalogue["meta"]["centre"][1],
        "created_at": now - timedelta(hours=5),
    }


def seed_alerts(session: Session, catalogue: dict[str, Any], now: datetime, tz: tzinfo) -> int:
    """A few alerts of the last days: overdue reports, a camera that dropped, KPIs, the weather."""
    rows = _overdue_alerts(session, now, tz) + _kpi_alerts(session, now) + _camera_alerts(session, now)
    rows.append(_weather_alert_row(catalogue, now))
    bulk_insert(session, Alert, [ALERT_DEFAULTS | row | {"is_demo": True} for row in rows])
    _seed_histories(session)
    return len(rows)


def _seed_histories(session: Session) -> None:
    """Each demo alert's history as data.alerts.events would have written it: raised, then acknowledged if it was."""
    events = []
    for alert in session.scalars(select(Alert).where(Alert.is_demo.is_(True))):
        alert.updated_at = alert.acknowledged_at or alert.created_at
        events.append({"alert_id": alert.id, "at": alert.created_at, "user_id": None, "action": "raised",
                       "status": "new", "step": None, "assignee_id": None, "note": None})
        if alert.acknowledged_at is not None:
            events.append({"alert_id": alert.id, "at": alert.acknowledged_at, "user_id": None, "action": "ack",
                           "status": alert.status, "step": None, "assignee_id": None, "note": None})
    bulk_insert(session, AlertEvent, events)
