"""Background processing of a committed report: classify, route, set its deadline, look for duplicates.

Runs as the ``reports.process`` job right after intake, and again from the ``reports.process_pending``
sweep for any report a crashed worker left behind. It is idempotent: a processed report is skipped,
and the work happens in one transaction that either sets ``processed_at`` or changes nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, select, update

from data.core import sla
from data.core.jobs import register
from data.models import Category, Report, ReportEvent, utcnow
from data.reports import classify, duplicates, routing

if TYPE_CHECKING:
    from data.core.runtime import Runtime

log = logging.getLogger(__name__)


def process_report(runtime: Runtime, report_id: int) -> bool:
    """Classify, route, schedule and check one report; False when there was nothing to do."""
    settings = runtime.settings
    with runtime.session() as session:
        # Claim the report first, in this transaction: a second worker (or the sweep) blocks on the row
        # (PostgreSQL) or the write lock (SQLite) until we commit, then finds it claimed. If we fail,
        # the rollback un-claims it and the sweep retries.
        now = utcnow()
        result = session.execute(
            update(Report).where(Report.id == report_id, Report.processed_at.is_(None)).values(processed_at=now)
        )
        claimed = cast(CursorResult[Any], result).rowcount
        report = session.get(Report, report_id) if claimed else None
        if report is None:
            return False
        done: dict[str, Any] = {}
        if not report.category_confirmed:
            guess = classify.suggest(session, f"{report.title or ''} {report.description}")
            report.suggested_category_id = guess.category_id
            report.classification_confidence = guess.confidence
            done["suggestion"] = {"category_id": guess.category_id, "confidence": round(guess.confidence, 3),
                                  "method": guess.method}
            if report.category_id is None and guess.confidence >= settings.classifier_min_confidence:
                report.category_id = guess.category_id
                done["category_from"] = guess.method
        category = session.get(Category, report.category_id) if report.category_id else None
        if category is not None:
            if report.agency_id is None:
                report.agency_id = routing.choose_agency(
                    session, category.id, report.admin_unit_id, report.created_at, settings.tz
                )
                done["agency_id"] = report.agency_id
            if report.expected_at is None:
                report.expected_at = sla.deadline_for(
                    report.created_at, category.sla_working_days, category.sla_emergency_hours,
                    report.urgency, settings.tz,
                )
                done["expected_at"] = report.expected_at.isoformat()
        if report.lat is not None and report.category_id is not None:
            found = duplicates.find_duplicates(session, report, settings.duplicate_radius_m, settings.duplicate_days)
            if found:
                report.attributes = (report.attributes or {}) | {
                    "duplicate_candidates": [
                        {"id": c.report_id, "code": c.tracking_code, "distance_m": round(c.distance_m),
                         "score": round(c.score, 3)}
                        for c in found
                    ]
                }
                done["duplicate_candidates"] = [c.report_id for c in found]
        session.add(ReportEvent(report_id=report.id, at=now, action="processed", data=done))
    runtime.bus.publish("reports", {"id": report_id, "processed": True})
    return True


@register("reports.process")
def process_job(runtime: Runtime, report_id: int) -> bool:
    return process_report(runtime, report_id)


@register("reports.process_pending", every_s=5)
def process_pending(runtime: Runtime, limit: int = 2000) -> int:
    """Process every report not yet processed: new ones (over Redis this is the normal path) and any
    a crashed worker left behind. Each is claimed on its own (see process_report), so two sweeps or a
    sweep and a job never do one report twice."""
    with runtime.session() as session:
        ids = list(session.scalars(
            select(Report.id).where(Report.processed_at.is_(None)).order_by(Report.id).limit(limit)
        ))
    count = 0
    for report_id in ids:
        try:
            count += process_report(runtime, report_id)
        except Exception:
            log.exception("processing report %s failed; it will be retried", report_id)
    return count
