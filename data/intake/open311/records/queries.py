"""``GET requests``: its arguments parsed and checked, and the reports they select (published ones only,
unless asked for by id); Open311's two statuses and its W3C times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from data.core.text import ascii_digits, shown
from data.intake.submission import IntakeError
from data.models import Category, Report, ReportStatus

DEFAULT_DAYS = 90
MAX_SPAN_DAYS = 90  # the spec: a start_date..end_date range "may not span more than 90 days"
DEFAULT_LIMIT = 1000
MAX_IDS = 200  # service_request_id=a,b,c,...: enough for any client, bounded for the database

S = ReportStatus
# Open311 knows two statuses; ours are kept in extended_attributes.status_detail.
CLOSED_STATUSES = frozenset({S.RESOLVED.value, S.CLOSED.value, S.REJECTED.value, S.DUPLICATE.value})


def open311_status(status: str) -> str:
    """Our detailed status as Open311's ``open`` / ``closed``."""
    return "closed" if status in CLOSED_STATUSES else "open"


def statuses_for(open311: str) -> list[str] | None:
    """Our statuses behind Open311 ``status=open,closed`` (None: no filter)."""
    wanted = {s.strip().lower() for s in open311.split(",") if s.strip()}
    unknown = wanted - {"open", "closed"}
    if unknown:
        raise IntakeError(f"status phải là open hoặc closed, không phải «{', '.join(sorted(unknown))}».",
                          field="status")
    if not wanted or wanted == {"open", "closed"}:
        return None
    return [s.value for s in S if open311_status(s.value) in wanted]


def iso(value: datetime | None, tz: ZoneInfo) -> str | None:
    """A stored naive-UTC time as ISO 8601 with the city's offset (``2026-03-01T08:30:00+07:00``)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(tz).isoformat(timespec="seconds")


def parse_time(value: str, name: str, tz: ZoneInfo) -> datetime:
    """A W3C datetime (``2010-01-01T00:00:00Z``, or a date) as naive UTC; without offset, city time."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError:
        raise IntakeError(
            f"{name} «{value}» không đúng định dạng thời gian W3C (ví dụ 2026-01-31T00:00:00Z).", field=name
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class RequestQuery:
    """The filters of ``GET requests`` (already parsed), with the page asked for."""

    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] | None = None
    page: int = 1
    page_size: int = DEFAULT_LIMIT


def _positive(value: str | None, name: str, default: int, maximum: int) -> int:
    if value in (None, ""):
        return default
    if not ascii_digits(value) or not 1 <= int(value) <= maximum:
        raise IntakeError(f"{name} phải là số nguyên từ 1 đến {maximum}, không phải «{shown(value)[:40]}».",
                          field=name)
    return int(value)


def _codes(value: str | None, name: str, limit: int) -> tuple[str, ...]:
    items = tuple(dict.fromkeys(v.strip() for v in (value or "").split(",") if v.strip()))
    if len(items) > limit:
        raise IntakeError(f"Tối đa {limit} giá trị trong {name}.", field=name)
    return items


def parse_query(args: dict[str, str], tz: ZoneInfo, now: datetime) -> RequestQuery:
    """``GET requests`` arguments → a RequestQuery; the default window is the last 90 days."""
    page = _positive(args.get("page"), "page", 1, 1_000_000)
    page_size = _positive(args.get("page_size"), "page_size", DEFAULT_LIMIT, DEFAULT_LIMIT)
    ids = _codes(args.get("service_request_id"), "service_request_id", MAX_IDS)
    if ids:  # the spec: service_request_id overrides every other argument
        return RequestQuery(ids=ids, page=page, page_size=page_size)
    start = parse_time(args["start_date"], "start_date", tz) if args.get("start_date") else None
    end = parse_time(args["end_date"], "end_date", tz) if args.get("end_date") else None
    if start is None and end is None:
        start = now - timedelta(days=DEFAULT_DAYS)
    elif start is None and end is not None:
        start = end - timedelta(days=DEFAULT_DAYS)
    if start is not None and end is not None:
        if end < start:
            raise IntakeError("end_date phải sau start_date.", field="end_date")
        if end - start > timedelta(days=MAX_SPAN_DAYS):
            raise IntakeError(f"Khoảng start_date–end_date không được quá {MAX_SPAN_DAYS} ngày.", field="end_date")
    statuses = statuses_for(args.get("status") or "")
    return RequestQuery(
        service_codes=_codes(args.get("service_code"), "service_code", 100), start=start, end=end,
        statuses=tuple(statuses) if statuses is not None else None, page=page, page_size=page_size,
    )  # fmt: skip


def _filtered(session: Session, query: RequestQuery) -> Select[Report] | None:
    """The reports matching ``query``, newest first (None: nothing can match).

    Asked by id, unpublished reports too (they answer their minimal record); otherwise published only.
    """
    if query.ids:
        return select(Report).where(Report.tracking_code.in_(query.ids)).order_by(
            Report.created_at.desc(), Report.id.desc())
    stmt = select(Report).where(Report.published.is_(True))
    if query.service_codes:
        ids = list(session.scalars(select(Category.id).where(Category.code.in_(query.service_codes))))
        if not ids:
            return None
        stmt = stmt.where(Report.category_id.in_(ids))
    if query.start is not None:
        stmt = stmt.where(Report.created_at >= query.start)
    if query.end is not None:
        stmt = stmt.where(Report.created_at <= query.end)
    if query.statuses is not None:
        stmt = stmt.where(Report.status.in_(query.statuses))
    # (created_at, category_id) is indexed: the window and the service code both use it.
    return stmt.order_by(Report.created_at.desc(), Report.id.desc())


def find_requests(session: Session, query: RequestQuery) -> list[Report]:
    """One page of reports for ``GET requests`` (see ``_filtered`` for which)."""
    stmt = _filtered(session, query)
    if stmt is None:
        return []
    offset = (query.page - 1) * query.page_size
    return list(session.scalars(stmt.offset(offset).limit(query.page_size)))


def find_request(session: Session, code: str) -> Report:
    """The report with this tracking code, published or not (``request_record`` decides what shows)."""
    report = session.scalar(select(Report).where(Report.tracking_code == code))
    if report is None:
        raise IntakeError(f"Không tìm thấy phản ánh (service_request_id) «{code}».",
                          field="service_request_id", status=404)
    return report


def find_token(session: Session, token: str) -> str:
    """``GET tokens/{token}``: our token is the tracking code itself, answered at once (any report)."""
    code = session.scalar(select(Report.tracking_code).where(Report.tracking_code == token))
    if code is None:
        raise IntakeError(f"Không tìm thấy mã (token) «{token}».", field="token", status=404)
    return code
