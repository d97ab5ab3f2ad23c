"""The shared database: every table of the IOC as typed SQLAlchemy 2.x models.

Times are stored as naive UTC (``utcnow()``) so that SQLite and PostgreSQL hold the same values.
Demo rows carry ``is_demo=True`` so that they can be told apart from (and removed before) real use.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    FetchedValue,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Named constraints keep Alembic migrations identical on SQLite (batch mode) and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now, as naive UTC: the form every timestamp column holds."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Role(enum.StrEnum):
    OPERATOR = "operator"
    LEADER = "leader"
    ANALYST = "analyst"
    AGENCY = "agency"
    ADMIN = "admin"


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


class CameraState(enum.StrEnum):
    ONLINE = "online"
    STALE = "stale"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


class AdminUnit(Base):
    """A province, district or ward, with its boundary and census population."""

    __tablename__ = "admin_units"
    __table_args__ = (UniqueConstraint("level", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(16), index=True)  # province | district | ward
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"), index=True)
    population: Mapped[int | None] = mapped_column(Integer)
    population_year: Mapped[int | None] = mapped_column(Integer)
    area_sqm: Mapped[float | None] = mapped_column(Float)
    centroid_lat: Mapped[float | None] = mapped_column(Float)
    centroid_lon: Mapped[float | None] = mapped_column(Float)
    # [min_lon, min_lat, max_lon, max_lat]: a cheap first test before point-in-polygon.
    bbox: Mapped[list[Any] | None] = mapped_column(JSON)
    boundary: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # a GeoJSON geometry
    source: Mapped[str | None] = mapped_column(String(200))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


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


class Camera(Base):
    """A camera point. Its stream URLs (with credentials) never leave the server."""

    __tablename__ = "cameras"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    group_name: Mapped[str | None] = mapped_column(String(100), index=True)
    admin_unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    stream_url: Mapped[str] = mapped_column(String(1000))
    sub_stream_url: Mapped[str | None] = mapped_column(String(1000))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    status: Mapped[CameraStatus | None] = relationship(back_populates="camera")


class CameraStatus(Base):
    """The latest health of a camera, written by the stream gateway."""

    __tablename__ = "camera_status"

    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default=CameraState.UNKNOWN)
    codec: Mapped[str | None] = mapped_column(String(16))
    transcoding: Mapped[bool] = mapped_column(Boolean, default=False)
    fps: Mapped[float | None] = mapped_column(Float)
    bitrate_kbps: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    last_frame_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_keyframe_at: Mapped[datetime | None] = mapped_column(DateTime)
    reconnects: Mapped[int] = mapped_column(Integer, default=0)
    viewers: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500))
    thumbnail_jpeg: Mapped[bytes | None] = mapped_column(LargeBinary)
    thumbnail_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    camera: Mapped[Camera] = relationship(back_populates="status")


class MapFeature(Base):
    """A point of another map layer: school, health facility, wifi, market, sensor, ..."""

    __tablename__ = "map_features"
    __table_args__ = (UniqueConstraint("layer", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    layer: Mapped[str] = mapped_column(String(32), index=True)  # poi | sensor
    kind: Mapped[str] = mapped_column(String(32))  # school | health | wifi | market | tourism | air
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    admin_unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class SensorReading(Base):
    """One measurement of an environment sensor (a MapFeature of layer "sensor"): the history behind its
    latest value, which the feature's properties cache for the map."""

    __tablename__ = "sensor_readings"
    __table_args__ = (UniqueConstraint("feature_id", "metric", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feature_id: Mapped[int] = mapped_column(ForeignKey("map_features.id"))
    metric: Mapped[str] = mapped_column(String(32))  # data.monitoring.sensors.METRICS: aqi | pm25 | water_level_m
    at: Mapped[datetime] = mapped_column(DateTime)  # when it was measured (UTC)
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(String(100))  # the feed, the API key's name, or "demo"
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Indicator(Base):
    """A KPI of the catalogue: what it measures and what counts as good."""

    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    theme: Mapped[str] = mapped_column(String(32), index=True)
    unit: Mapped[str] = mapped_column(String(32))
    frequency: Mapped[str] = mapped_column(String(16))  # day | month | quarter | year
    direction: Mapped[str] = mapped_column(String(8))  # up (higher is better) | down
    geography: Mapped[str] = mapped_column(String(16), default="city")  # city|district|ward|agency
    target: Mapped[float | None] = mapped_column(Float)
    amber_threshold: Mapped[float | None] = mapped_column(Float)
    red_threshold: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(String(200))
    owner: Mapped[str | None] = mapped_column(String(200))
    sort_order: Mapped[int] = mapped_column(Integer, default=100)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class IndicatorValue(Base):
    """One value of a KPI for a period and a unit of geography; revisions keep the old rows."""

    __tablename__ = "indicator_values"
    __table_args__ = (
        Index("ix_indicator_values_lookup", "indicator_id", "period_start", "admin_unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    period: Mapped[str] = mapped_column(String(16))  # 2026, 2026-Q3, 2026-10, 2026-10-31
    period_start: Mapped[date] = mapped_column(Date)
    admin_unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    value: Mapped[float] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    # A place outside the city's own units (another province, for comparison with GSO figures).
    place: Mapped[str | None] = mapped_column(String(100))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


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


class PressArticle(Base):
    """An article of a watched press feed; ``matched`` holds the watch words it contains."""

    __tablename__ = "press_articles"
    __table_args__ = (UniqueConstraint("feed_url", "guid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_url: Mapped[str] = mapped_column(String(500))
    guid: Mapped[str] = mapped_column(String(500))  # the entry's id, else its link
    url: Mapped[str | None] = mapped_column(String(1000))
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(200))  # the feed's title
    published_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    fetched_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    matched: Mapped[list[str] | None] = mapped_column(JSON)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))


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


class User(Base):
    """A person who logs in. The public never does."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)


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


class Outbox(Base):
    """A message to a citizen (tracking code, status change), sent and retried by a job."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # zalo | facebook | email | sms
    recipient: Mapped[str] = mapped_column(String(200))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


class ClassifierModel(Base):
    """A trained report classifier, shared by every worker through the database."""

    __tablename__ = "classifier_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    trained_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    samples: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    blob: Mapped[bytes] = mapped_column(LargeBinary)


class ImportRun(Base):
    """One CSV/Excel import (or its dry run), with its per-row validation report."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # reports | indicators | ...
    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_imported: Mapped[int] = mapped_column(Integer, default=0)
    rows_skipped: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[list[Any] | None] = mapped_column(JSON)


class Vessel(Base):
    """A fishing vessel with a position transponder; caches its last position for fast maps.

    The allowed fishing zones are ``map_features`` rows of layer ``fishing_zone`` (see data/monitoring/vessels.py).
    """

    __tablename__ = "vessels"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # registration, e.g. TTH-90123-TS
    name: Mapped[str | None] = mapped_column(String(200))
    # Sealed: only IOC operators and admins may read it (to call the owner); never on a public page.
    owner_phone: Mapped[str | None] = mapped_column(String(32))
    zone_code: Mapped[str | None] = mapped_column(String(64))  # its licensed zone; None: any fishing_zone
    last_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    last_lat: Mapped[float | None] = mapped_column(Float)
    last_lon: Mapped[float | None] = mapped_column(Float)
    last_speed_kn: Mapped[float | None] = mapped_column(Float)
    last_heading: Mapped[float | None] = mapped_column(Float)
    last_in_zone: Mapped[bool | None] = mapped_column(Boolean)
    # AIS navigational status of the last message; "moored" means in port (the silent check skips it).
    nav_status: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class VesselPosition(Base):
    """One position report of a vessel; (vessel, time) is unique, so a resent message is a no-op."""

    __tablename__ = "vessel_positions"
    __table_args__ = (UniqueConstraint("vessel_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vessel_id: Mapped[int] = mapped_column(ForeignKey("vessels.id"))
    at: Mapped[datetime] = mapped_column(DateTime)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    speed_kn: Mapped[float | None] = mapped_column(Float)
    heading: Mapped[float | None] = mapped_column(Float)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
