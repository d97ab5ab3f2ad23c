"""Overdue reports: each open report past its deadline is escalated once and alerted (one alert per import
for imported reports)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.alerts.events import published, raise_alert
from data.core.jobs import register
from data.core.sla import deadline_text
from data.models import (
    Alert,
    ImportRun,
    Report,
    utcnow,
)
from data.reports.workflow import escalate_overdue

if TYPE_CHECKING:
    from data.core.runtime import Runtime


OVERDUE_BATCH = 500


IMPORT_OVERDUE = "overdue_import"  # the alert kind of an import's overdue reports (one per import)


@register("reports.flag_overdue", every_s=300)
def flag_overdue(runtime: Runtime) -> int:
    """Escalate each open report past its deadline once (an event) and alert operators: one alert per
    report, but one per import for imported reports; answers the alerts raised or updated."""
    # One job for both: escalation (data.reports.workflow) marks the report, the alert is what operators see.
    now = utcnow()
    with runtime.session() as session:
        escalated = escalate_overdue(session, now, limit=OVERDUE_BATCH)
        # A history import brings hundreds of reports overdue on arrival: one alert each would be a flood.
        runs = sorted({run for r in escalated if (run := _import_run(r)) is not None})
        live = [r for r in escalated if _import_run(r) is None]
        codes = [r.tracking_code for r in live]
        # The demo seeds alerts of the same kind and source_ref: never raise a second one.
        alerted = set(session.scalars(select(Alert.source_ref).where(
            Alert.kind == "overdue_report", Alert.source_ref.in_(codes)))) if codes else set()
        changed = [(raise_alert(session, kind="overdue_report", severity="warning", source="reports",
                                source_ref=r.tracking_code, lat=r.lat, lon=r.lon,
                                title=f"Phản ánh {r.tracking_code} quá hạn xử lý",
                                message=deadline_text(r.expected_at, runtime.settings.tz)), "raised")
                   for r in live if r.tracking_code not in alerted]
        changed += [_import_overdue_alert(session, run_id, now) for run_id in runs]
    for alert, action in changed:
        published(runtime, alert, action)
    return len(changed)


def _import_run(report: Report) -> int | None:
    """The import that brought this report in (data.intake.bulk.reports writes it into the attributes)."""
    run = (report.attributes or {}).get("import_run")
    return run if isinstance(run, int) else None


def _import_overdue_alert(session: Session, run_id: int, now: datetime) -> tuple[Alert, str]:
    """The one alert of an import's overdue reports: raised for the first, then its count updated in place."""
    overdue = session.scalar(select(func.count()).select_from(Report).where(
        Report.escalated_at.is_not(None), Report.attributes["import_run"].as_integer() == run_id)) or 0
    run = session.get(ImportRun, run_id)
    title = (f"{overdue} phản ánh nhập từ tệp «{run.filename if run else '?'}» (lần nhập #{run_id}) "
             "quá hạn xử lý")
    message = ("Các phản ánh đang mở của lần nhập này đã quá hạn: mỗi phản ánh được báo cáo vượt cấp, "
               "nhưng chỉ phát một cảnh báo này cho cả lần nhập. Xem trang Phản ánh, lọc «Quá hạn».")
    ref = f"import:{run_id}"
    alert = session.scalar(select(Alert).where(Alert.kind == IMPORT_OVERDUE, Alert.source_ref == ref))
    if alert is None:
        return raise_alert(session, kind=IMPORT_OVERDUE, severity="warning", source="import", source_ref=ref,
                           title=title, message=message, now=now), "raised"
    alert.title, alert.updated_at = title[:300], now
    return alert, "updated"
