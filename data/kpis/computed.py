"""KPIs computed from our own data: the report KPIs (city, agency, unit) and camera availability."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from data.core.db import bulk_insert
from data.core.jobs import register
from data.kpis.alerts import raise_threshold_alerts
from data.kpis.status import (
    CITY,
    ReportFacts,
    Scope,
    camera_availability,
    period_of,
    plan_revision,
    report_stats_by_scope,
)
from data.models import (
    OPEN_STATUSES,
    Camera,
    CameraState,
    CameraStatus,
    Indicator,
    IndicatorValue,
    Report,
    utcnow,
)
from data.reports.queries import camera_state

if TYPE_CHECKING:
    from data.core.runtime import Runtime

log = logging.getLogger(__name__)

# KPIs computed from our own data: code -> (vi, en, unit, direction, target, attribute of ReportStats)
REPORT_KPIS: dict[str, tuple[str, str, str, str, float | None, str]] = {
    "reports_received": ("Phản ánh tiếp nhận", "Reports received", "phản ánh", "up", None, "received"),
    "reports_resolved": ("Phản ánh đã xử lý", "Reports resolved", "phản ánh", "up", None, "resolved"),
    "reports_on_time_pct": ("Tỷ lệ xử lý đúng hạn", "Resolved on time", "%", "up", 90.0, "on_time_pct"),
    "reports_median_hours": ("Thời gian xử lý trung vị", "Median time to resolve", "giờ", "down", 72.0,
                             "median_hours_to_resolve"),
    "reports_satisfaction_pct": ("Tỷ lệ hài lòng", "Citizen satisfaction", "%", "up", 80.0,
                                 "satisfaction_pct"),
    "reports_overdue": ("Phản ánh quá hạn chưa xử lý", "Open reports past their deadline", "phản ánh", "down",
                        None, "overdue"),
}
# Counts are 0 where nothing happened; a share or a median of nothing is no value at all.
COUNT_ATTRS = {"received", "resolved", "overdue"}
CAMERA_KPI = ("camera_availability_pct", "Tỷ lệ camera hoạt động", "Cameras online", "%", "up", 95.0)


def _indicator(session: Session, code: str, name: str, name_en: str, unit: str, direction: str,
               target: float | None, frequency: str, theme: str) -> int:
    """The id of a computed indicator, created on first use (a city may edit its target afterwards)."""
    found = session.scalar(select(Indicator.id).where(Indicator.code == code))
    if found is not None:
        return found
    indicator = Indicator(code=code, name=name, name_en=name_en, theme=theme, unit=unit, frequency=frequency,
                          direction=direction, target=target, source="IOC", sort_order=10)
    session.add(indicator)
    session.flush()
    return indicator.id


def _scope_of(admin_unit_id: int | None, agency_id: int | None) -> Scope:
    if admin_unit_id is not None:
        return ("unit", admin_unit_id)
    return ("agency", agency_id) if agency_id is not None else CITY


def _store(session: Session, computed: dict[tuple[int, Scope], float], zero_ids: set[int], label: str,
           start: date, source: str) -> int:
    """Write what changed since the last pass (old rows kept, superseded); returns the values written."""
    ids = {indicator_id for indicator_id, _ in computed} | zero_ids
    existing = {
        (r.indicator_id, _scope_of(r.admin_unit_id, r.agency_id)): (r.id, r.value)
        for r in session.execute(
            select(IndicatorValue.id, IndicatorValue.indicator_id, IndicatorValue.admin_unit_id,
                   IndicatorValue.agency_id, IndicatorValue.value)
            .where(IndicatorValue.indicator_id.in_(ids), IndicatorValue.period == label,
                   IndicatorValue.place.is_(None), IndicatorValue.superseded.is_(False)))
    }
    # A count that had a value and now has no reports at all (re-routed elsewhere) is 0, not gone.
    computed = {key: 0.0 for key in existing if key[0] in zero_ids} | computed
    keep, supersede, new = plan_revision(existing, computed)
    now = utcnow()
    if keep:  # unchanged values were true as of now: their freshness says so
        session.execute(update(IndicatorValue).where(IndicatorValue.id.in_(keep)).values(received_at=now))
    if supersede:
        session.execute(update(IndicatorValue).where(IndicatorValue.id.in_(supersede)).values(superseded=True))
    targets = dict(session.execute(select(Indicator.id, Indicator.target).where(Indicator.id.in_(ids))).all())
    bulk_insert(session, IndicatorValue, [
        {"indicator_id": indicator_id, "period": label, "period_start": start,
         "admin_unit_id": scope[1] if scope[0] == "unit" else None,
         "agency_id": scope[1] if scope[0] == "agency" else None, "value": float(value),
         "target": targets.get(indicator_id), "source": source, "received_at": now, "superseded": False,
         "place": None, "is_demo": False}
        for (indicator_id, scope), value in new.items()
    ])
    return len(new)


def _report_facts(session: Session, *conditions: Any) -> list[ReportFacts]:
    return [ReportFacts(r.created_at, r.resolved_at, r.expected_at, r.rating, r.agency_id, r.admin_unit_id)
            for r in session.execute(select(Report.created_at, Report.resolved_at, Report.expected_at,
                                            Report.rating, Report.agency_id, Report.admin_unit_id)
                                     .where(*conditions))]


def _camera_states(session: Session, now: datetime) -> list[tuple[int | None, bool | None]]:
    """(unit, online) of each enabled camera; None when its status is missing or too old to say."""
    rows = session.execute(
        select(Camera.admin_unit_id, CameraStatus.state, CameraStatus.updated_at)
        .outerjoin(CameraStatus, CameraStatus.camera_id == Camera.id).where(Camera.enabled)
    )
    states = ((unit, camera_state(state, updated, now)) for unit, state, updated in rows)
    return [(unit, None if state == CameraState.UNKNOWN else state == CameraState.ONLINE) for unit, state in states]


_SEEN_GENERATION: dict[str, int] = {}  # embedded: the reports generation the KPIs were last computed at


@register("kpi.follow_reports", every_s=60)
def follow_reports(runtime: Runtime) -> int | None:
    """Recompute the report KPIs within a minute of reports changing, and not at all while they do not.

    The answer cache's *reports generation* moves with every committed write to reports; the generation
    last computed at is kept in Redis (shared by the job workers) or in this process when embedded.
    Returns what ``compute_report_kpis`` wrote, or None when nothing changed."""
    generation = runtime.answers.generation()
    key = runtime.key("kpi", "reports-generation")
    seen = (int(runtime.redis.get(key) or -1) if runtime.redis is not None
            else _SEEN_GENERATION.get(key, -1))
    if generation == seen:
        return None
    written = compute_report_kpis(runtime)
    assert isinstance(written, int)  # the job registry types jobs loosely
    if runtime.redis is not None:
        runtime.redis.set(key, generation)
    else:
        _SEEN_GENERATION[key] = generation
    return written


@register("kpi.compute_reports", every_s=600)
def compute_report_kpis(runtime: Runtime, month_start: datetime | None = None) -> int:
    """Recompute this month's report KPIs (city, agency, unit) and today's camera availability.

    A changed value supersedes the earlier one, which is kept; values that turn red raise alerts.
    """
    now = utcnow()
    label, start = period_of((month_start or now).date(), "month")
    begin = datetime(start.year, start.month, 1)
    end = (begin + timedelta(days=32)).replace(day=1)
    this_month = begin <= now < end
    with runtime.session() as session:
        period_facts = _report_facts(session, Report.created_at >= begin, Report.created_at < end)
        # Overdue is a count of right now: only this month's pass can know it.
        open_facts = _report_facts(session, Report.status.in_([s.value for s in OPEN_STATUSES]),
                                   Report.expected_at < now) if this_month else []
        stats = report_stats_by_scope(period_facts, open_facts, now)
        computed: dict[tuple[int, Scope], float] = {}
        zero_ids: set[int] = set()
        for code, (name, name_en, unit, direction, target, attr) in REPORT_KPIS.items():
            if attr == "overdue" and not this_month:
                continue
            indicator_id = _indicator(session, code, name, name_en, unit, direction, target, "month",
                                      "citizen_reports")
            zero_ids |= {indicator_id} if attr in COUNT_ATTRS else set()
            computed |= {(indicator_id, scope): float(value) for scope, s in stats.items()
                         if (value := getattr(s, attr)) is not None}
        written = _store(session, computed, zero_ids, label, start, "IOC: computed from reports")
        day_label, day = period_of(now.replace(tzinfo=UTC).astimezone(runtime.settings.tz).date(), "day")
        camera_id = _indicator(session, *CAMERA_KPI, "day", "public_services")
        availability = camera_availability(_camera_states(session, now))
        written += _store(session, {(camera_id, scope): v for scope, v in availability.items()}, set(),
                          day_label, day, "IOC: camera status")
        indicator_ids = [i for i, _ in computed] + [camera_id]
    runtime.bus.publish("kpis", {"period": label, "written": written})
    if written:  # unchanged values cannot newly cross a threshold
        raise_threshold_alerts(runtime, set(indicator_ids))
    return written
