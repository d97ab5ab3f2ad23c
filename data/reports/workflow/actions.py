"""Applying an action: lock the report, check the rule, run its handler, write the event, queue the notices;
and the system's escalation of overdue reports, which is the same ``apply``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.core.errors import InvalidInput, NotFound
from data.models import Report, ReportEvent, utcnow
from data.reports.workflow.handlers import HANDLERS, Request
from data.reports.workflow.notices import notify_status
from data.reports.workflow.rules import ACTION_VI, DEFAULT_TZ, NOTIFY_STATUSES, OPEN, Actor, Transition, check_action


def lock_report(session: Session, report_id: int) -> Report:
    """The report, its row locked until commit (PostgreSQL) so two operators cannot race a change."""
    # populate_existing: a row already in the session is re-read once we hold the lock.
    report = session.scalar(
        select(Report).where(Report.id == report_id).with_for_update()
        .execution_options(populate_existing=True)
    )  # fmt: skip
    if report is None:
        raise NotFound(f"Không tìm thấy phản ánh số {report_id} (report not found).")
    return report


def apply(
    session: Session,
    report_id: int,
    action: str,
    actor: Actor,
    *,
    note: str | None = None,
    agency_id: int | None = None,
    category_id: int | None = None,
    admin_unit_id: int | None = None,
    rating: int | None = None,
    after_photo_ids: Sequence[int] = (),
    require_after_photo: bool = False,
    duplicate_of_id: int | None = None,
    data: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    tz: tzinfo = DEFAULT_TZ,
) -> ReportEvent:
    """Take ``action`` on the report as ``actor``; writes one event and the reporter's notices."""
    report = lock_report(session, report_id)
    rule = check_action(report, action, actor)
    req = Request(actor, now or utcnow(), (note or "").strip() or None, agency_id, category_id, admin_unit_id,
                  rating, tuple(after_photo_ids), require_after_photo, duplicate_of_id, dict(data or {}), tz)
    if rule.needs_note and req.note is None:
        raise InvalidInput(f"Cần ghi rõ nội dung để {ACTION_VI[action]} phản ánh (a note is required).")
    before_status, before_agency = report.status, report.agency_id
    facts = HANDLERS[action](session, report, req)
    if rule.target is not None:
        report.status = rule.target
    report.updated_at = req.at
    event = _record(session, report, rule, req, before_status, facts)
    if report.status in NOTIFY_STATUSES and (report.status != before_status or report.agency_id != before_agency):
        notify_status(session, report, req.note, req.at)
    return event


def _record(session: Session, report: Report, rule: Transition, req: Request, before: str,
            facts: dict[str, Any]) -> ReportEvent:
    data = {**req.data, **facts}
    if req.actor.user_id is None:  # the reporter or a job: say which, since there is no user to name
        data["by"] = req.actor.role
    event = ReportEvent(report_id=report.id, at=req.at, user_id=req.actor.user_id, action=rule.event,
                        from_status=before, to_status=report.status, agency_id=report.agency_id,
                        note=req.note, data=data or None)
    session.add(event)
    session.flush()
    return event


def escalate_overdue(session: Session, now: datetime, limit: int = 500) -> list[Report]:
    """Escalate (once) the open reports past their deadline: an ``escalated`` event each, by the system."""
    ids = session.scalars(
        select(Report.id)
        .where(Report.status.in_(OPEN), Report.expected_at < now, Report.escalated_at.is_(None))
        .order_by(Report.expected_at)
        .limit(limit)
    ).all()
    escalated = []
    for report_id in ids:
        try:
            apply(session, report_id, "escalate", Actor.system(), now=now,
                  note="Quá hạn xử lý: tự động báo cáo lãnh đạo.")
        except InvalidInput:  # another worker escalated or closed it since we looked: nothing to do
            continue
        escalated.append(session.get_one(Report, report_id))
    return escalated
