"""People who log in, their sessions and lock-out counters, API keys and the audit log."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from data.models.core import Base, utcnow
from data.models.reports import Channel


class Role(enum.StrEnum):
    OPERATOR = "operator"
    LEADER = "leader"
    ANALYST = "analyst"
    AGENCY = "agency"
    ADMIN = "admin"


class User(Base):
    """A person who logs in. The public never does."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    # A ward-scoped user (ward staff): sees the cameras of the groups granted to that ward (data/cameras/access.py).
    admin_unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Set for a password an admin handed out (new account, reset): until the user sets their own,
    # they reach only the "change your password" page (dashboard/password.py).
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Counts admins' changes to the account (/admin/users): an edit names the version it was made on,
    # so a second admin saving over the first is told instead of silently undoing it.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LoginSession(Base):
    """A signed-in browser. Its cookie holds only a random token; this row decides whether it still counts
    (ended by logout, a new password or deactivation; expired when idle or old: data/accounts/sessions.py)."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    end_reason: Mapped[str | None] = mapped_column(String(20))  # logout | password | deactivated
    source_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))


class LoginCounter(Base):
    """Login attempts within the current window for one key (a username, an address): the lock-out's
    count, raised atomically by each attempt before its password is checked (data/accounts/login_guard.py)."""

    __tablename__ = "login_counters"

    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime, index=True)
    hits: Mapped[int] = mapped_column(Integer)


class ApiKey(Base):
    """A key that lets a client post Open311 requests; only its SHA-256 is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(16), default=Channel.OPEN311)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)


class AuditEntry(Base):
    """One operator action or security event: who, when, from where, on what. Only ever appended."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_action_at", "action", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str | None] = mapped_column(String(150))  # as typed, for failed logins too
    action: Mapped[str] = mapped_column(String(40))  # login | login_failed | report.assign | export.csv | ...
    target: Mapped[str | None] = mapped_column(String(200))  # report:123, import:4, page:/imports
    source_ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
