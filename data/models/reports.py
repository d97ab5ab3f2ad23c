"""Citizens' field reports, their history, photos and ratings; the categories and agencies
that handle them and the rules that route them; the classifier trained on them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    FetchedValue,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.core import Base, utcnow


class ReportStatus(enum.StrEnum):
    RECEIVED = "received"
    VERIFIED = "verified"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    NOT_RESPONSIBLE = "not_responsible"
    REFERRED = "referred"


OPEN_STATUSES = (
    ReportStatus.RECEIVED,
    ReportStatus.VERIFIED,
    ReportStatus.ASSIGNED,
    ReportStatus.IN_PROGRESS,
    ReportStatus.REOPENED,
    ReportStatus.REFERRED,
)


class Channel(enum.StrEnum):
    APP = "app"  # Hue-S / city app
    WEB = "web"
    ZALO = "zalo"
    FACEBOOK = "facebook"
    EMAIL = "email"
    HOTLINE = "hotline"
    OPEN311 = "open311"
    IMPORT = "import"


class Agency(Base):
    """A unit that handles reports: a city department or a ward People's Committee."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    level: Mapped[str] = mapped_column(String(16), default="city")  # city | district | ward
    admin_unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Category(Base):
    """A kind of field report (lĩnh vực), with its deadline in working days."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    keywords: Mapped[list[Any] | None] = mapped_column(JSON)
    default_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    sla_working_days: Mapped[int] = mapped_column(Integer, default=5)
    sla_emergency_hours: Mapped[int] = mapped_column(Integer, default=24)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    # Open311 makes ``description`` optional; a city may require it where a photo alone says nothing.
    description_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class RoutingRule(Base):
    """Category × ward (× hours of the day) → the agency that receives the report."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    admin_unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))
    hour_from: Mapped[int | None] = mapped_column(Integer)
    hour_to: Mapped[int | None] = mapped_column(Integer)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Report(Base):
    """A citizen field report (phản ánh hiện trường)."""

    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_created_category", "created_at", "category_id"),
        Index("ix_reports_status_expected", "status", "expected_at"),
        Index("ix_reports_agency_created", "agency_id", "created_at"),
        Index("ix_reports_resolved_at", "resolved_at"),
        Index("ix_reports_created_channel", "created_at", "channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(16), index=True)
    external_id: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    admin_unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=ReportStatus.RECEIVED)
    urgency: Mapped[str] = mapped_column(String(16), default="normal")  # normal | emergency
    title: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    # Lower-case, diacritics-free copy of title + description for search (filled by text.fold).
    search_text: Mapped[str | None] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(500))
    # Sealed: only IOC operators and admins may read these three.
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_phone: Mapped[str | None] = mapped_column(String(32))
    reporter_email: Mapped[str | None] = mapped_column(String(200))
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    result_text: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)
    # The reporter agreed that the report (never their name or phone) may be published.
    publish_consent: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Open311 attributes and channel extras (device, message ids, ...), as sent.
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Set by the background processing job; NULL = still to classify/route (a sweep retries it).
    processed_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    suggested_category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    classification_confidence: Mapped[float | None] = mapped_column(Float)
    # True once an operator confirmed or corrected the category: such rows train the classifier.
    category_confirmed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    me_too_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    expected_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Which write last changed a column the map's in-process copy holds (data/reports/mirror.py), set by
    # the database itself (migration 0012), so no writer can forget it: on PostgreSQL the writing
    # transaction's id, on SQLite a counter that grows in commit order.
    change_stamp: Mapped[int] = mapped_column(BigInteger, server_default=FetchedValue(),
                                              server_onupdate=FetchedValue(), index=True)

    attachments: Mapped[list[Attachment]] = relationship(back_populates="report")
    events: Mapped[list[ReportEvent]] = relationship(
        back_populates="report", order_by="ReportEvent.id"
    )


class Attachment(Base):
    """A photo, video or file sent with a report, or an 'after' photo of its result."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # photo | video | file | after_photo
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)  # random, never guessable
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str | None] = mapped_column(String(300))
    thumbnail_key: Mapped[str | None] = mapped_column(String(200))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    report: Mapped[Report] = relationship(back_populates="attachments")


class ReportEvent(Base):
    """One step of a report's history: append-only (who, when, what)."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    report: Mapped[Report] = relationship(back_populates="events")


class Rating(Base):
    """A citizen's rating (1–5) of a report's result."""

    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ClassifierModel(Base):
    """A trained report classifier, shared by every worker through the database."""

    __tablename__ = "classifier_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    trained_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    samples: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
