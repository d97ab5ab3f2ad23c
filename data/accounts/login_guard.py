"""The login lock-out: ``FAILURES_MAX`` wrong passwords for one username, or from one address, within
``WINDOW`` lock both until the window has passed, and raise one security alert.

Each attempt takes its place in the window's count *before* its password is checked, in one atomic
upsert per key (``INSERT … ON CONFLICT DO UPDATE … RETURNING``, on SQLite and PostgreSQL alike), so
guesses sent at the same moment from many connections or gunicorn workers cannot all read "4 so far"
and pass: the sixth place is refused whatever the timing. A refused attempt gives its place back, and
so does a right password (only failures count). Refusals are written to the audit log sparingly: the
first of a window and then the 10th, 100th, … with the count so far, so a flood cannot fill the log.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from data.accounts import audit
from data.alerts.events import raise_alert
from data.models import LoginCounter, utcnow

FAILURES_MAX = 5
WINDOW = timedelta(minutes=15)
_LOGGED_REFUSALS = frozenset(10**n for n in range(12))  # which refusals of a window reach the audit log


@dataclass(frozen=True)
class Attempt:
    """One login attempt's places in the windows of its username and its address."""

    username: str
    source_ip: str | None
    places: tuple[int, ...]
    window_starts: tuple[datetime, ...]

    @property
    def blocked(self) -> bool:
        return max(self.places) > FAILURES_MAX

    @property
    def minutes_left(self) -> int:
        """Until the last of the windows that lock this attempt has passed (at least 1)."""
        locking = [s for p, s in zip(self.places, self.window_starts, strict=True) if p > FAILURES_MAX]
        ends = max(locking or self.window_starts) + WINDOW
        return max(1, math.ceil((ends - utcnow()).total_seconds() / 60))

    @property
    def keys(self) -> tuple[str, ...]:
        return _keys(self.username, self.source_ip)


def _keys(username: str, source_ip: str | None) -> tuple[str, ...]:
    # Username first, then address, in every transaction: two attempts never wait on each other's rows
    # in opposite orders (no deadlock on PostgreSQL).
    return (f"user:{username[:150]}",) + ((f"addr:{source_ip[:64]}",) if source_ip else ())


def _bump(session: Session, key: str, delta: int, now: datetime) -> tuple[int, datetime]:
    """Add ``delta`` to ``key``'s count in its window (a new window when the last one has passed), atomically."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    passed = LoginCounter.window_start <= now - WINDOW
    moved = LoginCounter.hits + delta
    upsert = insert(LoginCounter).values(key=key, window_start=now, hits=max(delta, 0))
    statement = upsert.on_conflict_do_update(index_elements=[LoginCounter.key], set_={
        "hits": case((passed, max(delta, 0)), (moved < 0, 0), else_=moved),
        "window_start": case((passed, now), else_=LoginCounter.window_start),
    }).returning(LoginCounter.hits, LoginCounter.window_start)
    hits, start = session.execute(statement).one()
    return int(hits), start


def reserve(session: Session, username: str, source_ip: str | None, now: datetime | None = None) -> Attempt:
    """Take this attempt's place before its password is checked; a blocked attempt gives it back at once.

    Commit right after (its own short transaction): the places must be visible to concurrent attempts
    while this one's password is being checked.
    """
    now = now or utcnow()
    bumped = [_bump(session, key, 1, now) for key in _keys(username, source_ip)]
    attempt = Attempt(username, source_ip, tuple(h for h, _ in bumped), tuple(s for _, s in bumped))
    if attempt.blocked:
        for key in attempt.keys:
            _bump(session, key, -1, now)
    return attempt


def succeeded(session: Session, attempt: Attempt, now: datetime | None = None) -> None:
    """The right password: its place goes back (only failures count towards the lock)."""
    for key in attempt.keys:
        _bump(session, key, -1, now or utcnow())


def failed(session: Session, attempt: Attempt, now: datetime | None = None) -> bool:
    """A wrong password: written to the audit log; True when it is the one that locks (an alert is raised)."""
    now = now or utcnow()
    audit.record(session, "login_failed", username=attempt.username, source_ip=attempt.source_ip, at=now)
    if FAILURES_MAX not in attempt.places:
        return False
    minutes = int(WINDOW.total_seconds() // 60)
    raise_alert(session, kind="security", severity="warning", source="login", source_ref=attempt.username,
                title=f"Đăng nhập sai {FAILURES_MAX} lần: «{attempt.username[:100]}» từ {attempt.source_ip or '?'}",
                message=f"Tạm khoá đăng nhập {minutes} phút.", now=now)
    return True


def refused(session: Session, attempt: Attempt, now: datetime | None = None) -> None:
    """A blocked attempt: counted per username and address; the audit log gets the 1st, 10th, 100th, …"""
    now = now or utcnow()
    count, _ = _bump(session, f"blocked:{attempt.username[:150]}|{attempt.source_ip or ''}"[:250], 1, now)
    if count in _LOGGED_REFUSALS:
        audit.record(session, "login_blocked", username=attempt.username, source_ip=attempt.source_ip, at=now,
                     detail={"attempts": count, "window_minutes": int(WINDOW.total_seconds() // 60)})


def prune(session: Session, now: datetime | None = None) -> int:
    """Forget counters whose window has passed (each new username or address tried adds one)."""
    result = session.execute(delete(LoginCounter).where(LoginCounter.window_start <= (now or utcnow()) - WINDOW))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
