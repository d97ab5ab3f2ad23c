"""Indicators (KPIs) and their values, revisions kept."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from data.models.core import Base, utcnow


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
