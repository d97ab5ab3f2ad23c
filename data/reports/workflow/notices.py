"""Notices to reporters: where a reporter hears back, the words of a status change, and the queued message."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Agency, Channel, Outbox, Report
from data.reports.workflow.rules import S, status_label


def contact_of(report: Report) -> tuple[str, str] | None:
    """Where the reporter hears back: the chat they wrote from, else their e-mail, else nowhere.
    ``sender_id`` is written by intake only for chat messages (``Submission.reply_to``); the bulk import
    reserves the key (``RESERVED_ATTRIBUTES``)."""
    sender = (report.attributes or {}).get("sender_id")
    if sender:
        return report.channel, str(sender)
    if report.reporter_email:
        return Channel.EMAIL.value, report.reporter_email
    return None


def notice_text(status: str, code: str, *, agency: str | None = None, note: str | None = None,
                target_code: str | None = None) -> str:
    """The Vietnamese notice of a status change of report ``code``."""
    where = agency or "đơn vị có thẩm quyền"
    texts: dict[str, str] = {
        S.ASSIGNED: f"Phản ánh {code} đã được chuyển đến {where} xử lý.",
        S.RESOLVED: f"Phản ánh {code} đã được xử lý: {note or ''} Mời bạn đánh giá kết quả (1–5 sao).",
        S.REJECTED: f"Phản ánh {code} không được tiếp nhận. Lý do: {note or ''}",
        S.DUPLICATE: f"Phản ánh {code} trùng với phản ánh {target_code} đang được xử lý; bạn sẽ nhận thông "
                     f"báo khi phản ánh {target_code} có kết quả.",
        S.REFERRED: f"Phản ánh {code} đã được chuyển đến {where}. {note or ''}",
        S.REOPENED: f"Phản ánh {code} đã được mở lại để xử lý tiếp.",
    }  # fmt: skip
    text = texts.get(status, f"Phản ánh {code}: {status_label(status)}.")
    return " ".join(text.split())


def queue_notice(session: Session, report: Report, body: str, at: datetime) -> Outbox | None:
    """Queue ``body`` for the reporter of ``report``; None when they left no way to reach them."""
    contact = contact_of(report)
    if contact is None:
        return None
    row = Outbox(channel=contact[0], recipient=contact[1], report_id=report.id, body=body,
                 next_attempt_at=at, created_at=at)
    session.add(row)
    return row


def notify_status(session: Session, report: Report, note: str | None, at: datetime) -> None:
    """Tell the reporter, and the reporters merged into this report, of its new status."""
    agency = session.get(Agency, report.agency_id) if report.agency_id is not None else None
    target = session.get(Report, report.duplicate_of_id) if report.duplicate_of_id is not None else None
    body = notice_text(report.status, report.tracking_code, agency=agency.name if agency else None, note=note,
                       target_code=target.tracking_code if target else None)
    queue_notice(session, report, body, at)
    for merged in session.scalars(select(Report).where(Report.duplicate_of_id == report.id)):
        own = f" (Phản ánh {merged.tracking_code} của bạn đã được gộp vào phản ánh {report.tracking_code}.)"
        queue_notice(session, merged, body + own, at)
