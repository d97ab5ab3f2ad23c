"""Read queries the pages share. Each takes a Session and returns plain data (dicts, dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from data.kpi import KpiStatus, kpi_status
from data.models import (
    OPEN_STATUSES,
    AdminUnit,
    Agency,
    Alert,
    Camera,
    CameraState,
    CameraStatus,
    Category,
    Indicator,
    IndicatorValue,
    Report,
    utcnow,
)
from data.proximity import Incident

# The gateway rewrites a camera's status every few seconds while it is pulled and at each patrol
# visit (every 2 min by default) when it is not: a row older than this no longer says anything.
STATUS_MAX_AGE_S = 600


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


@dataclass(frozen=True)
class KpiCard:
    code: str
    name: str
    name_en: str
    theme: str
    unit: str
    period: str | None
    value: float | None
    target: float | None
    status: KpiStatus
    received_at: datetime | None


def latest_kpis(session: Session, limit: int | None = None) -> list[KpiCard]:
    """The newest current value of each city-level indicator, with its status colour."""
    newest = (
        select(IndicatorValue.indicator_id, func.max(IndicatorValue.period_start).label("start"))
        .where(IndicatorValue.admin_unit_id.is_(None), IndicatorValue.agency_id.is_(None),
               IndicatorValue.superseded.is_(False))
        .group_by(IndicatorValue.indicator_id)
        .subquery()
    )
    query = (
        select(Indicator, IndicatorValue)
        .outerjoin(newest, newest.c.indicator_id == Indicator.id)
        .outerjoin(
            IndicatorValue,
            and_(
                IndicatorValue.indicator_id == Indicator.id,
                IndicatorValue.period_start == newest.c.start,
                IndicatorValue.admin_unit_id.is_(None),
                IndicatorValue.agency_id.is_(None),
                IndicatorValue.superseded.is_(False),
            ),
        )
        .order_by(Indicator.sort_order, Indicator.code)
    )
    if limit:
        query = query.limit(limit)
    cards = []
    for ind, val in session.execute(query).all():
        target = val.target if val is not None and val.target is not None else ind.target
        value = val.value if val is not None else None
        cards.append(
            KpiCard(
                code=ind.code, name=ind.name, name_en=ind.name_en, theme=ind.theme, unit=ind.unit,
                period=val.period if val is not None else None, value=value, target=target,
                status=kpi_status(value, direction=ind.direction, target=target,
                                  amber=ind.amber_threshold, red=ind.red_threshold),
                received_at=val.received_at if val is not None else None,
            )
        )
    return cards


def counts_by(session: Session, column: Any, since: datetime | None = None) -> list[tuple[str, int]]:
    """Report counts grouped by one column (category name, channel, status, ...), largest first."""
    query = select(column, func.count()).select_from(Report)
    if column.class_ is Category:
        query = query.join(Category, Category.id == Report.category_id)
    elif column.class_ is Agency:
        query = query.join(Agency, Agency.id == Report.agency_id)
    elif column.class_ is AdminUnit:
        query = query.join(AdminUnit, AdminUnit.id == Report.admin_unit_id)
    if since is not None:
        query = query.where(Report.created_at >= since)
    rows = session.execute(query.group_by(column).order_by(func.count().desc())).all()
    return [(str(name), int(n)) for name, n in rows]


def camera_rows(session: Session, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every enabled camera with its live state; never the stream URL (it holds credentials)."""
    now = now or utcnow()
    rows = session.execute(
        select(Camera.id, Camera.code, Camera.name, Camera.group_name, Camera.lat, Camera.lon,
               CameraStatus.state, CameraStatus.last_frame_at, CameraStatus.fps,
               CameraStatus.transcoding, CameraStatus.updated_at, CameraStatus.viewers)
        .outerjoin(CameraStatus, CameraStatus.camera_id == Camera.id)
        .where(Camera.enabled)
        .order_by(Camera.group_name, Camera.name)
    ).all()
    return [
        {
            "id": r.id, "code": r.code, "name": r.name, "group": r.group_name or "",
            "lat": r.lat, "lon": r.lon, "fps": r.fps, "transcoding": bool(r.transcoding),
            "state": camera_state(r.state, r.updated_at, now), "viewers": r.viewers or 0,
            "last_frame_age_s": (now - r.last_frame_at).total_seconds() if r.last_frame_at else None,
        }
        for r in rows
    ]



def newest_incident_ids(session: Session) -> tuple[int, int]:
    """(largest alert id, largest report id): where a wall starts watching for new incidents."""
    alert = session.scalar(select(func.max(Alert.id))) or 0
    report = session.scalar(select(func.max(Report.id))) or 0
    return int(alert), int(report)


def incidents_after(session: Session, alert_id: int, report_id: int, limit: int = 20) -> list[Incident]:
    """Alerts and reports newer than the given ids that have a place (newest first, ``limit`` of each)."""
    alerts = session.execute(
        select(Alert.id, Alert.lat, Alert.lon, Alert.title)
        .where(Alert.id > alert_id, Alert.lat.is_not(None), Alert.lon.is_not(None))
        .order_by(Alert.id.desc()).limit(limit)
    ).all()
    reports = session.execute(
        select(Report.id, Report.lat, Report.lon, Report.title)
        .where(Report.id > report_id, Report.lat.is_not(None), Report.lon.is_not(None))
        .order_by(Report.id.desc()).limit(limit)
    ).all()
    return [Incident("alert", r.id, r.lat, r.lon, r.title or "") for r in alerts] + [
        Incident("report", r.id, r.lat, r.lon, r.title or "") for r in reports
    ]

def camera_state(stored: str | None, updated_at: datetime | None, now: datetime) -> str:
    """An honest state: no status, or one the gateway has not refreshed for long, is "unknown"."""
    if stored is None or updated_at is None or (now - updated_at).total_seconds() > STATUS_MAX_AGE_S:
        return CameraState.UNKNOWN
    return stored


REPORT_LIST_COLUMNS = (
    Report.id, Report.tracking_code, Report.created_at, Report.status, Report.channel,
    Report.title, Report.expected_at, Report.address, Report.lat, Report.lon,
    Category.name.label("category"), Agency.name.label("agency"), AdminUnit.name.label("area"),
)


def recent_reports(session: Session, limit: int = 50, agency_id: int | None = None,
                   published_only: bool = False) -> list[dict[str, Any]]:
    """The newest reports for a list, without the reporter's sealed name and phone."""
    query = (
        select(*REPORT_LIST_COLUMNS, Report.result_text, Report.rating)
        .outerjoin(Category, Category.id == Report.category_id)
        .outerjoin(Agency, Agency.id == Report.agency_id)
        .outerjoin(AdminUnit, AdminUnit.id == Report.admin_unit_id)
        .order_by(Report.created_at.desc())
        .limit(limit)
    )
    if agency_id is not None:
        query = query.where(Report.agency_id == agency_id)
    if published_only:
        query = query.where(Report.published.is_(True))
    now = utcnow()
    out = []
    for row in session.execute(query).mappings():
        item = dict(row)
        item["overdue"] = bool(
            item["expected_at"] and item["expected_at"] < now
            and item["status"] in {s.value for s in OPEN_STATUSES}
        )
        out.append(item)
    return out


def public_summary(session: Session, since: datetime) -> dict[str, Any]:
    """What the transparency page shows: counts of published results and their ratings."""
    published = Report.published.is_(True)
    total = session.scalar(select(func.count()).select_from(Report).where(Report.created_at >= since)) or 0
    resolved = session.scalar(
        select(func.count()).select_from(Report)
        .where(Report.created_at >= since, Report.resolved_at.is_not(None))
    ) or 0
    avg_rating = session.scalar(
        select(func.avg(Report.rating)).where(published, Report.created_at >= since)
    )
    return {
        "received": total,
        "resolved": resolved,
        "resolved_pct": round(100 * resolved / total, 1) if total else None,
        "avg_rating": round(float(avg_rating), 2) if avg_rating is not None else None,
    }


@dataclass(frozen=True)
class ReportFilter:
    """The filters the reports page and the map share."""

    since: datetime | None = None
    until: datetime | None = None
    category_ids: tuple[int, ...] = ()
    statuses: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    agency_id: int | None = None  # agency staff are always limited to their own agency
    overdue_only: bool = False


SORTABLE = {"created_at": Report.created_at, "tracking_code": Report.tracking_code,
            "status": Report.status, "channel": Report.channel, "expected_at": Report.expected_at}


def apply_filter(query: Any, f: ReportFilter, now: datetime) -> Any:
    if f.since is not None:
        query = query.where(Report.created_at >= f.since)
    if f.until is not None:
        query = query.where(Report.created_at < f.until)
    if f.category_ids:
        query = query.where(Report.category_id.in_(f.category_ids))
    if f.statuses:
        query = query.where(Report.status.in_(f.statuses))
    if f.channels:
        query = query.where(Report.channel.in_(f.channels))
    if f.agency_id is not None:
        query = query.where(Report.agency_id == f.agency_id)
    if f.overdue_only:
        query = query.where(Report.status.in_([s.value for s in OPEN_STATUSES]),
                            Report.expected_at < now)
    return query


def report_page(session: Session, f: ReportFilter, start: int, end: int,
                sort: str = "created_at", descending: bool = True) -> tuple[list[dict[str, Any]], int]:
    """One page of reports (rows ``start``..``end``) and the total that match the filter."""
    now = utcnow()
    column = SORTABLE.get(sort, Report.created_at)
    query = apply_filter(
        select(*REPORT_LIST_COLUMNS)
        .outerjoin(Category, Category.id == Report.category_id)
        .outerjoin(Agency, Agency.id == Report.agency_id)
        .outerjoin(AdminUnit, AdminUnit.id == Report.admin_unit_id), f, now)
    order = column.desc() if descending else column.asc()
    rows = [dict(r) for r in session.execute(
        query.order_by(order, Report.id.desc()).offset(start).limit(max(0, end - start))).mappings()]
    total = session.scalar(apply_filter(select(func.count()).select_from(Report), f, now)) or 0
    open_values = {s.value for s in OPEN_STATUSES}
    for r in rows:
        r["overdue"] = bool(r["expected_at"] and r["expected_at"] < now and r["status"] in open_values)
    return rows, total


def choices(session: Session) -> dict[str, list[tuple[int, str, str]]]:
    """Categories and agencies for filter menus: (id, Vietnamese name, English name)."""
    cats = session.execute(select(Category.id, Category.name, Category.name_en).order_by(Category.name))
    agencies = session.execute(select(Agency.id, Agency.name, Agency.name_en).order_by(Agency.name))
    return {"categories": [(i, n, e) for i, n, e in cats],
            "agencies": [(i, n, e or n) for i, n, e in agencies]}
