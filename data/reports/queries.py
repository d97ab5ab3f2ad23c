"""Read queries the pages share. Each takes a Session and returns plain data (dicts, dataclasses)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import func, literal_column, or_, select, union_all
from sqlalchemy.orm import Session

from data.core.text import ascii_digits
from data.geo.proximity import Incident
from data.models import (
    OPEN_STATUSES,
    AdminUnit,
    Agency,
    Alert,
    CameraState,
    Category,
    Report,
    utcnow,
)
from data.reports.filters import ReportFilter
from data.reports.mirror import rows_of

# The gateway rewrites a camera's status every few seconds while it is pulled and at each patrol
# visit (every 2 min by default) when it is not: a row older than this no longer says anything.
STATUS_MAX_AGE_S = 600


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


def newest_incident_ids(session: Session) -> tuple[int, int]:
    """(largest alert id, largest report id): where a wall starts watching for new incidents."""
    alert = session.scalar(select(func.max(Alert.id))) or 0
    report = session.scalar(select(func.max(Report.id))) or 0
    return int(alert), int(report)


def incidents_after(session: Session, alert_id: int, report_id: int, limit: int = 20) -> list[Incident]:
    """Alerts and reports newer than the given ids that have a place (newest first, ``limit`` of each)."""
    alerts = session.execute(
        select(Alert.id, Alert.lat, Alert.lon, Alert.title, Alert.source, Alert.source_ref)
        .where(Alert.id > alert_id, Alert.lat.is_not(None), Alert.lon.is_not(None))
        .order_by(Alert.id.desc()).limit(limit)
    ).all()
    reports = session.execute(
        select(Report.id, Report.lat, Report.lon, Report.title)
        .where(Report.id > report_id, Report.lat.is_not(None), Report.lon.is_not(None))
        .order_by(Report.id.desc()).limit(limit)
    ).all()
    return [Incident("alert", r.id, r.lat, r.lon, r.title or "", _camera_ref(r.source, r.source_ref))
            for r in alerts] + [
        Incident("report", r.id, r.lat, r.lon, r.title or "") for r in reports
    ]

def _camera_ref(source: str | None, ref: str | None) -> int | None:
    """The camera an alert was raised by (motion, camera offline), if it was."""
    return int(ref) if source == "camera" and ref and ascii_digits(ref) else None


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


SORTABLE = {"created_at": Report.created_at, "tracking_code": Report.tracking_code,
            "status": Report.status, "channel": Report.channel, "expected_at": Report.expected_at}


def _areas(ids: tuple[int, ...]) -> Any:
    """The ids of these units and of their wards: a district stands for each ward in it."""
    return select(AdminUnit.id).where(or_(AdminUnit.id.in_(ids), AdminUnit.parent_id.in_(ids)))


def apply_filter(query: Any, f: ReportFilter, now: datetime) -> Any:
    """``query`` (over Report) narrowed to the reports ``f`` describes."""
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
    if f.agency_ids:
        query = query.where(Report.agency_id.in_(f.agency_ids))
    if f.admin_unit_ids:
        query = query.where(Report.admin_unit_id.in_(_areas(f.admin_unit_ids)))
    if f.overdue_only:
        query = query.where(Report.status.in_([s.value for s in OPEN_STATUSES]),
                            Report.expected_at < now)
    for word in f.text.split()[:8]:
        # search_text is already folded; a LIKE per word finds them in any order. A trigram or
        # full-text index is the next step when this is too slow on the whole table.
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Report.search_text.like(f"%{escaped}%", escape="\\"))
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
    total = count_reports(session, f)
    for r in rows:
        r["overdue"] = is_overdue(r["status"], r["expected_at"], now)
    return rows, total


def is_overdue(status: str, expected_at: datetime | None, now: datetime) -> bool:
    """Open and past its deadline."""
    return bool(expected_at and expected_at < now and status in OPEN_VALUES)


OPEN_VALUES = frozenset(s.value for s in OPEN_STATUSES)


def choices(session: Session) -> dict[str, list[tuple[int, str, str]]]:
    """Categories and agencies for filter menus: (id, Vietnamese name, English name)."""
    cats = session.execute(select(Category.id, Category.name, Category.name_en).order_by(Category.name))
    agencies = session.execute(select(Agency.id, Agency.name, Agency.name_en).order_by(Agency.name))
    return {"categories": [(i, n, e) for i, n, e in cats],
            "agencies": [(i, n, e or n) for i, n, e in agencies]}


def count_reports(session: Session, f: ReportFilter) -> int:
    """How many reports match the filter (on the map copy of the reports when the session has one)."""
    rows = rows_of(session, apply_filter(select(func.count()).select_from(Report), f, utcnow()), f)
    return int(rows[0][0] or 0)


# The columns a breakdown chart may group by: each is a plain column of reports, so the filter's
# indexes serve the scan and the names are looked up afterwards in the small tables.
BREAKDOWNS = {"category": Report.category_id, "channel": Report.channel, "agency": Report.agency_id,
              "status": Report.status}


def breakdown(session: Session, f: ReportFilter, by: str, limit: int | None = None) -> list[tuple[Any, int]]:
    """(category id | channel | agency id | status, count) of the filtered reports, largest first; one query
    (on the map copy of the reports when the session has one: data/reports/mirror.py)."""
    column = BREAKDOWNS[by]
    query = apply_filter(select(column, func.count()).select_from(Report), f, utcnow())
    # NULLS LAST spelled out: SQLite would put them first, PostgreSQL and DuckDB last.
    query = query.group_by(column).order_by(func.count().desc(), column.asc().nulls_last())
    if limit is not None:
        query = query.limit(limit)
    return [(key, int(n)) for key, n in rows_of(session, query, f)]


def _local_day(session: Session, column: Any, tz: tzinfo) -> Any:
    """The local calendar day of a naive-UTC column, in SQL (the zone's offset now: Vietnam has no DST)."""
    offset = int((datetime.now(tz).utcoffset() or timedelta()).total_seconds())
    # Literals, not bound parameters: PostgreSQL must see the same expression in SELECT and GROUP BY.
    if session.get_bind().dialect.name == "postgresql":
        return func.date(column + literal_column(f"interval '{offset} seconds'"))
    return func.date(column, literal_column(f"'{offset:+d} seconds'"))


def daily_trend(session: Session, f: ReportFilter, tz: tzinfo) -> list[tuple[date, int, int]]:
    """(local day, reports received that day, reports resolved that day) for the filtered reports.

    Received counts by ``created_at`` within the filter's period, resolved by ``resolved_at`` within it
    (the other filters alike): the inflow and the outflow of each day. One statement of two grouped
    branches, each answerable from its own index alone (created_at…, resolved_at) when only the
    period is set; a single pass reading ``resolved_at`` from the table was 7× slower on 1 M rows.
    """
    now = utcnow()
    received_day = _local_day(session, Report.created_at, tz).label("day")
    received = apply_filter(
        select(received_day, literal_column("0").label("kind"), func.count()).select_from(Report), f, now
    ).group_by(received_day)
    resolved_day = _local_day(session, Report.resolved_at, tz).label("day")
    resolved = apply_filter(
        select(resolved_day, literal_column("1").label("kind"), func.count()).select_from(Report),
        replace(f, since=None, until=None), now,
    ).where(Report.resolved_at.is_not(None))
    if f.since is not None:
        resolved = resolved.where(Report.resolved_at >= f.since)
    if f.until is not None:
        resolved = resolved.where(Report.resolved_at < f.until)
    resolved = resolved.group_by(resolved_day)
    days: dict[date, list[int]] = {}
    for value, kind, n in session.execute(union_all(received, resolved)).all():
        when = value if isinstance(value, date) else date.fromisoformat(str(value))
        days.setdefault(when, [0, 0])[int(kind)] = int(n)
    return [(day, counts[0], counts[1]) for day, counts in sorted(days.items())]


def export_rows(session: Session, f: ReportFilter, *, sealed: bool, chunk: int = 2000,
                where: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
    """Every filtered report for an export, newest first, read ``chunk`` rows at a time.

    ``sealed`` adds the reporter's name, phone and e-mail: only for the roles that may see them.
    ``where``: further conditions on reports (the map's drawn areas narrow it to their boxes).
    """
    columns = [
        Report.id, Report.tracking_code, Report.created_at, Report.channel, Category.name.label("category"),
        Report.status, Report.urgency, Agency.name.label("agency"), AdminUnit.name.label("area"), Report.title,
        Report.description, Report.address, Report.lat, Report.lon, Report.expected_at, Report.resolved_at,
        Report.result_text, Report.rating, Report.me_too_count,
    ]  # fmt: skip
    if sealed:
        columns += [Report.reporter_name, Report.reporter_phone, Report.reporter_email]
    now = utcnow()
    query = apply_filter(
        select(*columns)
        .outerjoin(Category, Category.id == Report.category_id)
        .outerjoin(Agency, Agency.id == Report.agency_id)
        .outerjoin(AdminUnit, AdminUnit.id == Report.admin_unit_id), f, now
    ).where(*where).order_by(Report.created_at.desc(), Report.id.desc())
    # yield_per: a server-side cursor on PostgreSQL, so a million rows never sit in memory at once.
    for row in session.execute(query.execution_options(yield_per=chunk)).mappings():
        item = dict(row)
        item["overdue"] = is_overdue(item["status"], item["expected_at"], now)
        yield item
