"""Camera points, their groups and who may watch each group, and the latest health the gateway writes of each."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.core import Base, utcnow


class CameraState(enum.StrEnum):
    ONLINE = "online"
    STALE = "stale"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


class CameraGroup(Base):
    """A named set of cameras (a district's junctions, a market, a ward's own): what the wall pages through
    and what access is granted by (``CameraGroupGrant``)."""

    __tablename__ = "camera_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CameraGroupGrant(Base):
    """One agency, or one ward's users, may watch one group's cameras. Operators, leaders and admins need none."""

    __tablename__ = "camera_group_grants"
    __table_args__ = (
        CheckConstraint("(agency_id IS NULL) <> (admin_unit_id IS NULL)", name="one_grantee"),
        UniqueConstraint("group_id", "agency_id", name="uq_camera_group_grants_group_agency"),
        UniqueConstraint("group_id", "admin_unit_id", name="uq_camera_group_grants_group_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("camera_groups.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    admin_unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Camera(Base):
    """A camera point. Its stream URLs (with credentials) never leave the server.

    ``group_id`` decides the group (the wall, access); ``group_name`` is its name, kept in step by
    ``data.cameras`` for readers of the old column (``adopt_group_names`` turns a name written alone into a group).
    ``version`` goes up with every change through the admin page, so an edit made on an older copy is refused.
    """

    __tablename__ = "cameras"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    group_name: Mapped[str | None] = mapped_column(String(100), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("camera_groups.id"), index=True)
    admin_unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    stream_url: Mapped[str] = mapped_column(String(1000))
    sub_stream_url: Mapped[str | None] = mapped_column(String(1000))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

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
