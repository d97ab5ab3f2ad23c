"""Sign-in sessions kept in the database, so that they can be ended from the server.

The browser's (signed) cookie carries only a random token; its SHA-256 names a ``LoginSession`` row.
A session counts while its row is not ended (logout, a new password, a deactivated account), its
user is active, it was used within the idle lifetime and its login is younger than the absolute one.
Every gunicorn worker reads the same rows, so ending a session ends it everywhere at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from data.accounts import login_guard
from data.core.jobs import register
from data.core.settings import Lifetimes
from data.models import LoginSession, User, utcnow

if TYPE_CHECKING:
    from data.core.runtime import Runtime

__all__ = ["Lifetimes", "alive", "end", "end_all", "open_session", "prune", "signed_in_user"]

# A visit is written down at most this often: a page's many callbacks cost one write a minute, not one each.
TOUCH_EVERY = timedelta(minutes=1)
KEEP_ENDED = timedelta(days=30)  # ended and expired rows are kept this long (who was signed in, from where)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def alive(created_at: datetime, last_seen_at: datetime, now: datetime, limits: Lifetimes) -> bool:
    """Whether a session started at ``created_at`` and last used at ``last_seen_at`` still counts at ``now``."""
    return now - last_seen_at <= limits.idle and now - created_at <= limits.absolute


def open_session(session: Session, user_id: int, *, source_ip: str | None = None, user_agent: str | None = None,
                 now: datetime | None = None) -> str:
    """A new session for ``user_id``; returns the token for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = now or utcnow()
    session.add(LoginSession(token_hash=_hash(token), user_id=user_id, created_at=now, last_seen_at=now,
                             source_ip=source_ip and source_ip[:64], user_agent=user_agent and user_agent[:200]))
    return token


def signed_in_user(session: Session, token: str, limits: Lifetimes, *, now: datetime | None = None,
                   touch: bool = True) -> User | None:
    """The active user whose live session ``token`` names, or None; with ``touch`` the visit counts as use."""
    now = now or utcnow()
    row = session.execute(
        select(LoginSession, User).join(User, User.id == LoginSession.user_id)
        .where(LoginSession.token_hash == _hash(token), LoginSession.ended_at.is_(None), User.active.is_(True))
    ).first()
    if row is None:
        return None
    login, user = row
    if not alive(login.created_at, login.last_seen_at, now, limits):
        return None
    if touch and now - login.last_seen_at >= TOUCH_EVERY:
        login.last_seen_at = now
    return user


def end(session: Session, token: str, reason: str = "logout", now: datetime | None = None) -> None:
    """End the session ``token`` names (a logout): every copy of its cookie is refused from now on."""
    session.execute(update(LoginSession).where(LoginSession.token_hash == _hash(token), LoginSession.ended_at.is_(None))
                    .values(ended_at=now or utcnow(), end_reason=reason))


def end_all(session: Session, user_id: int, reason: str, now: datetime | None = None) -> int:
    """End every open session of a user (new password, deactivated account); how many were open."""
    result = session.execute(update(LoginSession).where(LoginSession.user_id == user_id,
                                                        LoginSession.ended_at.is_(None))
                             .values(ended_at=now or utcnow(), end_reason=reason))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def prune(session: Session, limits: Lifetimes, now: datetime | None = None) -> int:
    """Forget sessions ended or expired more than ``KEEP_ENDED`` ago; how many rows went."""
    cutoff = (now or utcnow()) - KEEP_ENDED
    result = session.execute(delete(LoginSession).where(or_(
        LoginSession.ended_at < cutoff, LoginSession.last_seen_at < cutoff - limits.idle,
        LoginSession.created_at < cutoff - limits.absolute)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@register("auth.prune", every_s=3600)
def prune_job(runtime: Runtime) -> int:
    """Hourly: old sessions and the lock-out's passed windows are forgotten."""
    with runtime.session() as session:
        return prune(session, runtime.settings.session_lifetimes) + login_guard.prune(session)
