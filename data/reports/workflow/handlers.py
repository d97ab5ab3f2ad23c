"""What each action does to a report beyond its status: one handler per action, each answering the facts
its history event records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.core.errors import InvalidInput
from data.core.sla import deadline_for
from data.models import AdminUnit, Agency, Attachment, Category, Rating, Report
from data.reports.workflow.rules import DEFAULT_TZ, Actor, S


@dataclass(frozen=True)
class Request:
    """What the caller passed to ``apply``, after cleaning."""

    actor: Actor
    at: datetime
    note: str | None
    agency_id: int | None
    category_id: int | None
    admin_unit_id: int | None
    rating: int | None
    after_photo_ids: tuple[int, ...]
    require_after_photo: bool
    duplicate_of_id: int | None
    data: dict[str, Any] = field(default_factory=dict)
    tz: tzinfo = DEFAULT_TZ


def _agency(session: Session, agency_id: int | None) -> Agency:
    agency = session.get(Agency, agency_id) if agency_id is not None else None
    if agency is None or not agency.active:
        raise InvalidInput(f"Đơn vị xử lý số {agency_id} không tồn tại hoặc đã ngừng (unknown agency).")
    return agency


def _category(session: Session, category_id: int | None) -> Category:
    category = session.get(Category, category_id) if category_id is not None else None
    if category is None:
        raise InvalidInput(f"Lĩnh vực số {category_id} không tồn tại (unknown category).")
    return category


def _on_assign(session: Session, report: Report, req: Request) -> dict[str, Any]:
    report.agency_id = _agency(session, req.agency_id).id
    return {}


def _after_photos(session: Session, report: Report, req: Request) -> list[Attachment]:
    ids = set(req.after_photo_ids)
    if req.require_after_photo and not ids:
        raise InvalidInput("Cần ảnh sau khi xử lý để báo đã xử lý (an 'after' photo is required).")
    if not ids:
        return []
    photos = list(session.scalars(select(Attachment).where(Attachment.id.in_(ids))))
    if len(photos) != len(ids) or any(p.report_id != report.id for p in photos):
        raise InvalidInput("Ảnh sau khi xử lý không thuộc phản ánh này (after photo of another report).")
    return photos


def _on_resolve(session: Session, report: Report, req: Request) -> dict[str, Any]:
    photos = _after_photos(session, report, req)
    for photo in photos:
        photo.kind = "after_photo"
    report.result_text = req.note
    report.resolved_at = req.at
    return {"after_photo_ids": sorted(p.id for p in photos)} if photos else {}


def _on_final(session: Session, report: Report, req: Request) -> dict[str, Any]:
    """Rejected: the reason is the answer the reporter (and the public page) sees."""
    report.result_text = req.note
    report.closed_at = req.at
    return {}


def _on_duplicate(session: Session, report: Report, req: Request) -> dict[str, Any]:
    target = session.get(Report, req.duplicate_of_id) if req.duplicate_of_id is not None else None
    if target is None or target.id == report.id:
        raise InvalidInput("Cần chọn phản ánh gốc khác với phản ánh này (duplicate_of_id).")
    report.duplicate_of_id = target.id
    report.closed_at = req.at
    return {"duplicate_of_id": target.id, "duplicate_of_code": target.tracking_code}


def _on_refer(session: Session, report: Report, req: Request) -> dict[str, Any]:
    agency = _agency(session, req.agency_id)
    if agency.id == report.agency_id:
        raise InvalidInput("Phản ánh đã thuộc đơn vị này; hãy chọn đơn vị khác (refer to another agency).")
    old, report.agency_id = report.agency_id, agency.id
    return {"from_agency_id": old}


def _on_reroute(session: Session, report: Report, req: Request) -> dict[str, Any]:
    new = {"category_id": req.category_id, "agency_id": req.agency_id, "admin_unit_id": req.admin_unit_id}
    changes = {k: v for k, v in new.items() if v is not None and v != getattr(report, k)}
    if not changes:
        raise InvalidInput("Điều chuyển cần lĩnh vực, đơn vị hoặc địa bàn mới (nothing to change).")
    if "category_id" in changes:
        _category(session, req.category_id)
        report.category_confirmed = True  # an operator's correction: a label the classifier may learn
    if "agency_id" in changes:
        _agency(session, req.agency_id)
        report.status = S.ASSIGNED  # the new agency must take it up afresh
    if "admin_unit_id" in changes and session.get(AdminUnit, req.admin_unit_id) is None:
        raise InvalidInput(f"Địa bàn số {req.admin_unit_id} không tồn tại (unknown admin unit).")
    old = {k: getattr(report, k) for k in changes}
    for key, value in changes.items():
        setattr(report, key, value)
    return {"old": old, "new": changes}


def _on_reclassify(session: Session, report: Report, req: Request) -> dict[str, Any]:
    old = report.category_id
    report.category_id = _category(session, req.category_id).id
    report.category_confirmed = True  # the same category confirms it; another one corrects it
    return {"old_category_id": old, "category_id": report.category_id}


def _on_publish(session: Session, report: Report, req: Request) -> dict[str, Any]:
    report.published = True
    return {}


def _on_unpublish(session: Session, report: Report, req: Request) -> dict[str, Any]:
    report.published = False
    return {}


def _on_rate(session: Session, report: Report, req: Request) -> dict[str, Any]:
    score = req.rating
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise InvalidInput(f"Điểm đánh giá phải từ 1 đến 5, không phải {score} (rating must be 1–5).")
    session.add(Rating(report_id=report.id, score=score, comment=req.note, at=req.at))
    report.rating = score
    report.closed_at = req.at
    return {"score": score}


def _on_reopen(session: Session, report: Report, req: Request) -> dict[str, Any]:
    report.reopen_count += 1
    report.resolved_at = None  # it is not resolved any more; the earlier fix stays in the history
    report.closed_at = None
    # A fresh deadline from now (the old one has passed): the agency gets its SLA again, and the
    # overdue escalation may fire again for the new deadline.
    old_deadline = report.expected_at
    category = session.get(Category, report.category_id) if report.category_id else None
    if category is not None:
        report.expected_at = deadline_for(req.at, category.sla_working_days, category.sla_emergency_hours,
                                          report.urgency, req.tz)
    report.escalated_at = None
    return {"reopen_count": report.reopen_count,
            "old_expected_at": old_deadline.isoformat() if old_deadline else None,
            "expected_at": report.expected_at.isoformat() if report.expected_at else None}


def _on_close(session: Session, report: Report, req: Request) -> dict[str, Any]:
    report.closed_at = req.at
    return {}


def _on_escalate(session: Session, report: Report, req: Request) -> dict[str, Any]:
    report.escalated_at = req.at
    due = report.expected_at
    return {"expected_at": due.isoformat()} if due else {}


def _nothing(session: Session, report: Report, req: Request) -> dict[str, Any]:
    return {}


Handler = Callable[[Session, Report, Request], dict[str, Any]]
HANDLERS: dict[str, Handler] = {
    "verify": _nothing, "assign": _on_assign, "start": _nothing, "resolve": _on_resolve, "reject": _on_final,
    "mark_duplicate": _on_duplicate, "mark_not_responsible": _nothing, "refer": _on_refer,
    "reroute": _on_reroute, "reclassify": _on_reclassify, "merge": _nothing, "publish": _on_publish,
    "unpublish": _on_unpublish, "rate": _on_rate, "reopen": _on_reopen, "close": _on_close,
    "escalate": _on_escalate,
}  # fmt: skip
