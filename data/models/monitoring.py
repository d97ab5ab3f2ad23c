"""What the city watches: sensor readings, press articles, fishing vessels and their tracks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from data.models.core import Base, utcnow


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


class Vessel(Base):
    """A fishing vessel with a position transponder; caches its last position for fast maps.

    The allowed fishing zones are ``map_features`` rows of layer ``fishing_zone``
    (see data/monitoring/vessels/zones.py).
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
