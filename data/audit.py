"""The audit log (who did what, when, from which address) and the security events it feeds.

Entries are only ever appended (``record``); admins read them on /audit. Failed logins are counted
here too: after ``LOGIN_FAILURES_MAX`` failures for one username or from one address within
``LOGIN_WINDOW``, further attempts are refused until the window has passed, and one security alert
tells the operators (the issue's "information-security monitoring").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from data.alerts import raise_alert
from data.models import AuditEntry, utcnow

LOGIN_FAILURES_MAX = 5
LOGIN_WINDOW = timedelta(minutes=15)


def record(session: Session, action: str, *, user_id: int | None = None, username: str | None = None,
           target: str | None = None, source_ip: str | None = None, detail: dict[str, Any] | None = None,
           at: datetime | None = None) -> AuditEntry:
    entry = AuditEntry(at=at or utcnow(), user_id=user_id, username=(username or None) and username[:150],
                       action=action[:40], target=target and target[:200], source_ip=source_ip and source_ip[:64],
                       detail=detail)
    session.add(entry)
    return entry


def recent_failures(session: Session, username: str, source_ip: str | None, now: datetime) -> int:
    """Failed logins within the window for this username or from this address."""
    who = [AuditEntry.username == username] + ([AuditEntry.source_ip == source_ip] if source_ip else [])
    return int(session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "login_failed", AuditEntry.at >= now - LOGIN_WINDOW, or_(*who))) or 0)


def login_blocked(session: Session, username: str, source_ip: str | None, now: datetime | None = None) -> bool:
    return recent_failures(session, username, source_ip, now or utcnow()) >= LOGIN_FAILURES_MAX


def login_failed(session: Session, username: str, source_ip: str | None, now: datetime | None = None) -> bool:
    """Record a failed login; True when it is the one that blocks (and a security alert is raised)."""
    now = now or utcnow()
    record(session, "login_failed", username=username, source_ip=source_ip, at=now)
    session.flush()
    if recent_failures(session, username, source_ip, now) != LOGIN_FAILURES_MAX:
        return False
    raise_alert(session, kind="security", severity="warning", source="login", source_ref=username,
                title=f"Đăng nhập sai {LOGIN_FAILURES_MAX} lần: «{username[:100]}» từ {source_ip or '?'}",
                message=f"Tạm khoá đăng nhập {int(LOGIN_WINDOW.total_seconds() // 60)} phút.", now=now)
    return True


def entries(session: Session, *, limit: int = 500, action: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    return list(session.scalars(query))
