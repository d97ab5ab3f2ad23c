"""Camera points and the latest health the stream gateway writes of each."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.core import Base, utcnow


class CameraState(enum.StrEnum):
    ONLINE = "online"
    STALE = "stale"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


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
