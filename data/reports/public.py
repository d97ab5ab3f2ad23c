"""What the public may know of a report, looked up by its tracking code.

The tracking code is random (see ``data.intake.pipeline``), so holding it is what proves you are the
reporter (or were told by them): the code holder sees the report's progress through its statuses
even before it is published. Its content (text, result, photos) is shown only once published, and
the reporter's name, phone and email never.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Agency, Attachment, Category, Report, ReportEvent, ReportStatus

RATEABLE = (ReportStatus.RESOLVED.value,)
REOPENABLE = (ReportStatus.RESOLVED.value, ReportStatus.CLOSED.value)


@dataclass(frozen=True)
class Step:
    at: datetime
    status: str


@dataclass(frozen=True)
class PublicReport:
    tracking_code: str
    created_at: datetime
    status: str
    category: str | None
    agency: str | None
    expected_at: datetime | None
    resolved_at: datetime | None
    published: bool
    title: str | None = None
    description: str | None = None
    address: str | None = None
    result_text: str | None = None
    rating: int | None = None
    me_too_count: int = 0
    duplicate_of: str | None = None
    photos: list[str] = field(default_factory=list)  # storage keys of public attachments
    steps: list[Step] = field(default_factory=list)

    @property
    def can_rate(self) -> bool:
        return self.status in RATEABLE and self.rating is None

    @property
    def can_reopen(self) -> bool:
        return self.status in REOPENABLE


def lookup(session: Session, code: str) -> PublicReport | None:
    """The report with this code as the public may see it, or None."""
    code = code.strip().upper()
    if not code or len(code) > 32:
        return None
    row = session.execute(
        select(Report, Category.name.label("category"), Agency.name.label("agency"))
        .outerjoin(Category, Category.id == Report.category_id)
        .outerjoin(Agency, Agency.id == Report.agency_id)
        .where(Report.tracking_code == code)
    ).first()
    if row is None:
        return None
    report: Report = row.Report
    steps = [
        Step(at, status)
        for at, status in session.execute(
            select(ReportEvent.at, ReportEvent.to_status)
            .where(ReportEvent.report_id == report.id, ReportEvent.to_status.is_not(None))
            .order_by(ReportEvent.id)
        )
        if status is not None
    ]
    # Only status changes: one line per step, never an operator's internal note.
    steps = [s for i, s in enumerate(steps) if i == 0 or s.status != steps[i - 1].status]
    duplicate_of = (
        session.scalar(select(Report.tracking_code).where(Report.id == report.duplicate_of_id))
        if report.duplicate_of_id else None
    )
    base = PublicReport(
        tracking_code=report.tracking_code, created_at=report.created_at, status=report.status,
        category=row.category, agency=row.agency, expected_at=report.expected_at,
        resolved_at=report.resolved_at, published=report.published, rating=report.rating,
        me_too_count=report.me_too_count, duplicate_of=duplicate_of, steps=steps,
    )
    if not report.published:
        return base
    photos = list(session.scalars(
        select(Attachment.storage_key).where(Attachment.report_id == report.id, Attachment.public.is_(True),
                                             Attachment.kind.in_(("photo", "after_photo")))
        .order_by(Attachment.id)
    ))
    return PublicReport(**{**base.__dict__, "title": report.title, "description": report.description,
                           "address": report.address, "result_text": report.result_text, "photos": photos})


def report_id_of(session: Session, code: str) -> int | None:
    """The id behind a tracking code (for the code holder's own actions: rate, reopen)."""
    return session.scalar(select(Report.id).where(Report.tracking_code == code.strip().upper()))
