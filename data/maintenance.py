"""Scheduled housekeeping jobs: overdue reports are escalated and alerted, report KPIs are recomputed."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from data.jobs import register
from data.kpi import ReportFacts, period_of, report_stats
from data.models import Alert, Indicator, IndicatorValue, Report, utcnow
from data.workflow import escalate_overdue

if TYPE_CHECKING:
    from data.runtime import Runtime

log = logging.getLogger(__name__)
OVERDUE_BATCH = 500

# KPIs computed from our own reports: code -> (vi, en, unit, direction, target, attribute of ReportStats)
REPORT_KPIS: dict[str, tuple[str, str, str, str, float | None, str]] = {
    "reports_received": ("Phản ánh tiếp nhận", "Reports received", "phản ánh", "up", None, "received"),
    "reports_resolved": ("Phản ánh đã xử lý", "Reports resolved", "phản ánh", "up", None, "resolved"),
    "reports_on_time_pct": ("Tỷ lệ xử lý đúng hạn", "Resolved on time", "%", "up", 90.0, "on_time_pct"),
    "reports_median_hours": ("Thời gian xử lý trung vị", "Median time to resolve", "giờ", "down", 72.0,
                             "median_hours_to_resolve"),
    "reports_satisfaction_pct": ("Tỷ lệ hài lòng", "Citizen satisfaction", "%", "up", 80.0,
                                 "satisfaction_pct"),
}


@register("reports.flag_overdue", every_s=300)
def flag_overdue(runtime: Runtime) -> int:
    """Escalate each open report past its deadline once (an event, an alert) and announce it on the bus."""
    # One job for both: escalation (data.workflow) marks the report, the alert is what operators see.
    now = utcnow()
    with runtime.session() as session:
        escalated = escalate_overdue(session, now, limit=OVERDUE_BATCH)
        codes = [r.tracking_code for r in escalated]
        # The demo seeds alerts of the same kind and source_ref: never raise a second one.
        alerted = set(session.scalars(select(Alert.source_ref).where(
            Alert.kind == "overdue_report", Alert.source_ref.in_(codes)))) if codes else set()
        raised = [r for r in escalated if r.tracking_code not in alerted]
        for r in raised:
            session.add(Alert(kind="overdue_report", severity="warning", source="reports",
                              source_ref=r.tracking_code, lat=r.lat, lon=r.lon,
                              title=f"Phản ánh {r.tracking_code} quá hạn xử lý",
                              message=f"Hạn xử lý: {r.expected_at:%d/%m/%Y %H:%M}"))
    if raised:
        runtime.bus.publish("alerts", {"kind": "overdue_report", "count": len(raised)})
    return len(raised)


@register("kpi.compute_reports", every_s=600)
def compute_report_kpis(runtime: Runtime, month_start: datetime | None = None) -> int:
    """Recompute this month's city-level report KPIs; an earlier value is kept, marked superseded."""
    now = utcnow()
    label, start = period_of((month_start or now).date(), "month")
    begin = datetime(start.year, start.month, 1)
    end = (begin + timedelta(days=32)).replace(day=1)
    written = 0
    with runtime.session() as session:
        facts = [
            ReportFacts(r.created_at, r.resolved_at, r.expected_at, r.rating)
            for r in session.execute(
                select(Report.created_at, Report.resolved_at, Report.expected_at, Report.rating)
                .where(Report.created_at >= begin, Report.created_at < end)
            )
        ]
        stats = report_stats(facts)
        for code, (name, name_en, unit, direction, target, attr) in REPORT_KPIS.items():
            indicator = session.scalar(select(Indicator).where(Indicator.code == code))
            if indicator is None:
                indicator = Indicator(code=code, name=name, name_en=name_en, theme="citizen_reports",
                                      unit=unit, frequency="month", direction=direction, target=target,
                                      source="IOC", sort_order=10)
                session.add(indicator)
                session.flush()
            value = getattr(stats, attr)
            if value is None:
                continue
            session.execute(
                update(IndicatorValue)
                .where(IndicatorValue.indicator_id == indicator.id, IndicatorValue.period == label,
                       IndicatorValue.admin_unit_id.is_(None), IndicatorValue.agency_id.is_(None),
                       IndicatorValue.superseded.is_(False))
                .values(superseded=True)
            )
            session.add(IndicatorValue(indicator_id=indicator.id, period=label, period_start=start,
                                       value=float(value), target=indicator.target,
                                       source="IOC: computed from reports"))
            written += 1
    runtime.bus.publish("kpis", {"period": label, "written": written})
    return written
