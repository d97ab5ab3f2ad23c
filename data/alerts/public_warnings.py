"""Warnings to the public: published by an operator, shown on the public page and in Open311's
service notice while in force, and counted each time they are shown."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from data.core.errors import InvalidInput, NotFound
from data.models import PublicWarning, utcnow

SEVERITIES = ("info", "warning", "critical")
MAX_TITLE = 300
MAX_BODY = 4000


def publish(session: Session, title: str, body: str | None, severity: str, user_id: int | None, *,
            hours: float | None = None, now: datetime | None = None) -> PublicWarning:
    """A warning in force from now, for ``hours`` (None: until ended); bad input is an InvalidInput."""
    title, body = title.strip(), (body or "").strip() or None
    if not title:
        raise InvalidInput("Cần nhập tiêu đề cảnh báo.")
    if len(title) > MAX_TITLE or (body and len(body) > MAX_BODY):
        raise InvalidInput(f"Tiêu đề tối đa {MAX_TITLE} ký tự, nội dung tối đa {MAX_BODY} ký tự.")
    if severity not in SEVERITIES:
        raise InvalidInput(f"Mức cảnh báo phải là một trong {', '.join(SEVERITIES)}.")
    if hours is not None and not 0 < hours <= 24 * 90:
        raise InvalidInput("Thời hạn phải từ 1 giờ đến 90 ngày.")
    now = now or utcnow()
    warning = PublicWarning(title=title, body=body, severity=severity, starts_at=now, created_by=user_id,
                            ends_at=now + timedelta(hours=hours) if hours else None)
    session.add(warning)
    session.flush()
    return warning


def end(session: Session, warning_id: int, user_id: int | None, now: datetime | None = None) -> PublicWarning:
    warning = session.get(PublicWarning, warning_id)
    if warning is None:
        raise NotFound(f"Không có cảnh báo #{warning_id}.")
    now = now or utcnow()
    if warning.ends_at is None or warning.ends_at > now:
        warning.ends_at, warning.ended_by = now, user_id
    return warning


def in_force(session: Session, now: datetime | None = None) -> list[PublicWarning]:
    """Warnings in force now, the most severe first, then the newest."""
    now = now or utcnow()
    rows = session.scalars(select(PublicWarning).where(
        PublicWarning.starts_at <= now, or_(PublicWarning.ends_at.is_(None), PublicWarning.ends_at > now))
        .order_by(PublicWarning.starts_at.desc())).all()
    return sorted(rows, key=lambda w: -SEVERITIES.index(w.severity) if w.severity in SEVERITIES else 0)


def recent(session: Session, limit: int = 50) -> list[PublicWarning]:
    return list(session.scalars(select(PublicWarning).order_by(PublicWarning.id.desc()).limit(limit)))


def count_views(session: Session, warnings: Sequence[PublicWarning]) -> None:
    """One more view for each (a single UPDATE; concurrent pages never lose a count)."""
    if warnings:
        session.execute(update(PublicWarning).where(PublicWarning.id.in_([w.id for w in warnings]))
                        .values(views=PublicWarning.views + 1))
