"""Alerts with their append-only steps, and warnings published to citizens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from data.models.core import Base, utcnow


class Alert(Base):
    """Something an operator must see: a KPI off target, a camera down, an overdue report, ..."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    severity: Mapped[str] = mapped_column(String(16), default="warning")  # info|warning|critical
    title: Mapped[str] = mapped_column(String(300))
    message: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(100))
    source_ref: Mapped[str | None] = mapped_column(String(100))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)  # data.alerts.events.STATUSES
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # What a camera saw when it raised the alert (motion): kept with the alert, not overwritten.
    snapshot_jpeg: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class AlertEvent(Base):
    """One step of an alert's life (raised, acknowledged, a procedure step ticked, ...): append-only."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system
    action: Mapped[str] = mapped_column(String(16))  # a key of data.alerts.events.TRANSITIONS
    status: Mapped[str] = mapped_column(String(16))  # the alert's status after this step
    step: Mapped[int | None] = mapped_column(Integer)  # the procedure step ticked or unticked
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)


class PublicWarning(Base):
    """A warning the IOC publishes to citizens (flood, storm, outage): on the public page and in
    Open311's service notice while it is in force; ``views`` counts how often it was shown."""

    __tablename__ = "public_warnings"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16), default="warning")  # info | warning | critical
    starts_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime)  # None: until an operator ends it
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ended_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    views: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
