"""The audit log: who did what, when, from which address.

Entries are only ever appended (``record``); admins read them on /audit. The login lock-out that
writes failed and refused logins here lives in ``data/accounts/login_guard.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import AuditEntry, utcnow


def record(session: Session, action: str, *, user_id: int | None = None, username: str | None = None,
           target: str | None = None, source_ip: str | None = None, detail: dict[str, Any] | None = None,
           at: datetime | None = None) -> AuditEntry:
    entry = AuditEntry(at=at or utcnow(), user_id=user_id, username=(username or None) and username[:150],
                       action=action[:40], target=target and target[:200], source_ip=source_ip and source_ip[:64],
                       detail=detail)
    session.add(entry)
    return entry


@dataclass(frozen=True)
class Who:
    """The signed-in person making a change, as the audit log names them."""

    user_id: int | None
    username: str | None
    source_ip: str | None = None


def change(session: Session, who: Who, action: str, target: str, before: dict[str, Any] | None,
           after: dict[str, Any] | None) -> AuditEntry:
    """An admin's change, with the values before and after it (None: the thing did not exist, or is gone)."""
    return record(session, action, user_id=who.user_id, username=who.username, target=target,
                  source_ip=who.source_ip, detail={"before": before, "after": after})


def entries(session: Session, *, limit: int = 500, action: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    return list(session.scalars(query))
