"""Places: administrative units with their boundaries, and the points of the other map layers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from data.models.core import Base, utcnow


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
