"""The overview page's headline: counts across reports, cameras and alerts, and the latest KPIs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.kpis.board import board
from data.kpis.status import KpiCard
from data.models import (
    OPEN_STATUSES,
    Alert,
    Camera,
    CameraState,
    CameraStatus,
    Report,
    utcnow,
)


@dataclass(frozen=True)
class Overview:
    open_reports: int
    overdue_reports: int
    received_today: int
    resolved_30d: int
    cameras_total: int
    cameras_online: int
    alerts_new: int


def local_day_start(now_utc: datetime, tz: tzinfo) -> datetime:
    """Midnight of today in ``tz``, as naive UTC (the form the database holds)."""
    local = now_utc.replace(tzinfo=UTC).astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(UTC).replace(tzinfo=None)


def overview(session: Session, now: datetime | None = None, tz: tzinfo = UTC) -> Overview:
    """The headline counts of the overview page ("today" is the local day in ``tz``)."""
    now = now or utcnow()
    day_start = local_day_start(now, tz)
    is_open = Report.status.in_([s.value for s in OPEN_STATUSES])
    # count(*) rather than count(id): PostgreSQL can then answer from the index alone.
    count = func.count()
    return Overview(
        open_reports=session.scalar(select(count).select_from(Report).where(is_open)) or 0,
        overdue_reports=session.scalar(select(count).select_from(Report).where(is_open, Report.expected_at < now)) or 0,
        received_today=session.scalar(select(count).select_from(Report).where(Report.created_at >= day_start)) or 0,
        resolved_30d=session.scalar(
            select(count).select_from(Report).where(Report.resolved_at >= now - timedelta(days=30))
        ) or 0,
        cameras_total=session.scalar(select(func.count(Camera.id)).where(Camera.enabled)) or 0,
        cameras_online=session.scalar(
            select(func.count(CameraStatus.camera_id)).where(CameraStatus.state == CameraState.ONLINE)
        ) or 0,
        alerts_new=session.scalar(select(func.count(Alert.id)).where(Alert.status == "new")) or 0,
    )


def latest_kpis(session: Session, today: date, grace: int, limit: int | None = None) -> list[KpiCard]:
    """The current city-wide value of each indicator with its status (grey when none is current)."""
    # The leaders' board, cut short: one arithmetic (and one "today", in the city's zone) for both pages.
    cards = board(session, today, grace)
    return cards[:limit] if limit else cards
