"""Open311 GeoReport v2 (open311.org): our categories as services, our published reports as requests.

No Flask here: plain builders of the spec's JSON shapes (and their XML twins), and the few queries
that feed them. What the public may read is decided here, once:

* only published reports are listed; asked for by its id (``requests/{id}`` or
  ``requests?service_request_id=``), an unpublished report answers its minimal record (where it
  stands: status, service, times, agency), never its text, place or photos, so the app that posted
  it can follow it at once. The id is the unguessable tracking code, which only the poster holds;
* never the reporter's name, phone, email, device or account id: records are built field by field
  from a whitelist, never by dumping a row;
* photos only when the report is published AND the photo was made public by an operator;
* notes come from the status changes of the report's history, with the text of the public answers
  only (the result of a fix, the reason of a refusal, a referral), never an operator's name.

``service_request_id`` is the tracking code (``HUE-2026-7K3M9QX``): the report is committed before
the POST answers, so no token is needed; ``GET tokens/{token}`` accepts the tracking code as token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import xmltodict
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from data.core.text import ascii_digits, has_nul, shown
from data.intake.submission import IntakeError
from data.models import Agency, Attachment, Category, Report, ReportEvent, ReportStatus
from data.reports.workflow import STATUS_VI

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
DEFAULT_DAYS = 90
MAX_SPAN_DAYS = 90  # the spec: a start_date..end_date range "may not span more than 90 days"
DEFAULT_LIMIT = 1000
MAX_IDS = 200  # service_request_id=a,b,c,...: enough for any client, bounded for the database

S = ReportStatus
# Open311 knows two statuses; ours are kept in extended_attributes.status_detail.
CLOSED_STATUSES = frozenset({S.RESOLVED.value, S.CLOSED.value, S.REJECTED.value, S.DUPLICATE.value})
# History actions that reach the public as notes; the note text only for the public answers.
NOTE_ACTIONS = frozenset({
    "created", "verified", "assigned", "started", "resolved", "rejected", "duplicate", "not_responsible",
    "referred", "rerouted", "reopened", "closed", "rated", "merged",
})  # fmt: skip
PUBLIC_NOTE_TEXT = frozenset({"resolved", "rejected", "referred"})
# Stored as the text of a post that came without ``description`` (operators read it; Open311 answers "").
NO_DESCRIPTION = "(Phản ánh qua Open311 không có mô tả: xem ảnh và thuộc tính kèm theo.)"
# What an unpublished report answers to whoever holds its id: where it stands, not what it says.
MINIMAL_FIELDS = ("service_request_id", "status", "service_code", "service_name", "requested_datetime",
                  "updated_datetime", "expected_datetime", "agency_responsible")

URGENCY_ATTRIBUTE: dict[str, Any] = {
    "variable": True,
    "code": "urgency",
    "datatype": "singlevaluelist",
    "required": False,
    "datatype_description": "normal hoặc emergency (mặc định normal)",
    "order": 1,
    "description": "Mức khẩn: chọn 'Khẩn cấp' khi có nguy hiểm cho người hoặc tài sản",
    "values": [{"key": "normal", "name": "Bình thường"}, {"key": "emergency", "name": "Khẩn cấp"}],
}
ATTRIBUTES: tuple[dict[str, Any], ...] = (URGENCY_ATTRIBUTE,)
# XML: a JSON list under this key becomes repeated child elements of this name.
XML_ITEM = {
    "attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format",
    "photos": "photo", "notes": "note",
}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------------


def service_entry(category: Category, group: str | None) -> dict[str, Any]:
    """One element of ``GET services``: every service takes attributes (at least ``urgency``)."""
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or category.name,
        "metadata": bool(ATTRIBUTES),
        "type": "realtime",
        "keywords": ", ".join(str(k) for k in category.keywords or []),
        "group": group or "",
    }


def service_definition(category: Category) -> dict[str, Any]:
    """``GET services/{code}``: the attributes a request of this service may carry."""
    return {"service_code": category.code, "attributes": [dict(a) for a in ATTRIBUTES]}


def public_categories(session: Session) -> list[tuple[Category, str | None]]:
    """The public categories with their default agency's name (the service group), by code."""
    rows = session.execute(
        select(Category, Agency.name).outerjoin(Agency, Agency.id == Category.default_agency_id)
        .where(Category.public.is_(True)).order_by(Category.code)
    ).all()  # fmt: skip
    return [(row[0], row[1]) for row in rows]


def public_category(session: Session, code: str) -> Category:
    """The public category with this service code, or a 404 naming it."""
    category = session.scalar(select(Category).where(Category.code == code, Category.public.is_(True)))
    if category is None:
        raise IntakeError(f"Không có lĩnh vực (service_code) «{code}».", field="service_code", status=404)
    return category


def attributes_from_form(values: dict[str, str]) -> tuple[str, dict[str, str]]:
    """``attribute[code]`` values checked against the definition: (urgency, the other attributes)."""
    known = {a["code"]: a for a in ATTRIBUTES}
    for code, value in values.items():
        spec = known.get(code)
        if spec is None:
            raise IntakeError(f"Thuộc tính attribute[{code}] không có trong định nghĩa dịch vụ.", field="attribute")
        keys = [v["key"] for v in spec.get("values", [])]
        if keys and value not in keys:
            raise IntakeError(
                f"attribute[{code}] phải là một trong: {', '.join(keys)} (nhận được «{value}»).", field="attribute"
            )
    rest = {k: v for k, v in values.items() if k != "urgency"}
    return values.get("urgency") or "normal", rest


def description_for(category: Category, described: bool) -> str:
    """The stored text of a post without ``description``, or the spec's 400 naming the field.

    GeoReport v2 makes ``description`` optional: accepted when the post carries attribute values or
    media (``described``), unless the city requires a description for this service.
    """
    if category.description_required:
        raise IntakeError(f"description: lĩnh vực «{category.name}» ({category.code}) cần mô tả sự việc; "
                          "hãy gửi description.", field="description")
    if not described:
        raise IntakeError("description: cần mô tả sự việc, hoặc gửi kèm ảnh (media, media_url) hay thuộc tính "
                          "(attribute[...]).", field="description")
    return NO_DESCRIPTION


# ---------------------------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------------------------


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


@dataclass
class Related:
    """What the records of one page of reports need, loaded in a few queries for the whole page."""

    categories: dict[int, Category] = field(default_factory=dict)
    agencies: dict[int, str] = field(default_factory=dict)
    photos: dict[int, list[str]] = field(default_factory=dict)  # report id -> public storage keys
    notes: dict[int, list[ReportEvent]] = field(default_factory=dict)
    codes: dict[int, str] = field(default_factory=dict)  # duplicate_of id -> tracking code


def load_related(session: Session, reports: Sequence[Report]) -> Related:
    """Categories, agencies, public photos, history and duplicate targets of ``reports``."""
    related = Related()
    if not reports:
        return related
    ids = [r.id for r in reports if r.published]  # photos and notes are shown for published ones only
    category_ids = {r.category_id for r in reports if r.category_id is not None}
    if category_ids:
        related.categories = {c.id: c for c in session.scalars(select(Category).where(Category.id.in_(category_ids)))}
    agency_ids = {r.agency_id for r in reports if r.agency_id is not None}
    if agency_ids:
        rows = session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(agency_ids)))
        related.agencies = {agency_id: name for agency_id, name in rows}
    for report_id, key in session.execute(
        select(Attachment.report_id, Attachment.storage_key)
        .where(Attachment.report_id.in_(ids), Attachment.public.is_(True),
               Attachment.kind.in_(("photo", "after_photo")))
        .order_by(Attachment.report_id, Attachment.id)
    ):  # fmt: skip
        related.photos.setdefault(report_id, []).append(key)
    for event in session.scalars(
        select(ReportEvent).where(ReportEvent.report_id.in_(ids), ReportEvent.action.in_(NOTE_ACTIONS))
        .order_by(ReportEvent.report_id, ReportEvent.id)
    ):  # fmt: skip
        related.notes.setdefault(event.report_id, []).append(event)
    targets = {r.duplicate_of_id for r in reports if r.duplicate_of_id is not None}
    if targets:
        pairs = session.execute(select(Report.id, Report.tracking_code).where(Report.id.in_(targets)))
        related.codes = {report_id: code for report_id, code in pairs}
    return related


def media_url(base_url: str, storage_key: str) -> str:
    return f"{base_url.rstrip('/')}/media/{storage_key}"


def note_record(event: ReportEvent, tz: ZoneInfo) -> dict[str, Any]:
    """One public note: the new status in words, and the public answer's text where there is one."""
    summary = STATUS_VI.get(event.to_status or "", event.to_status or "") if event.to_status else event.action
    if event.action == "created":
        summary = "Đã tiếp nhận phản ánh"
    return {
        "datetime": iso(event.at, tz),
        "summary": summary,
        "description": (event.note or "") if event.action in PUBLIC_NOTE_TEXT else "",
        "type": "activity",
    }


def minimal_record(report: Report, related: Related, tz: ZoneInfo) -> dict[str, Any]:
    """Where a report stands (``MINIMAL_FIELDS``): all an unpublished report answers."""
    category = related.categories.get(report.category_id or 0)
    return {
        "service_request_id": report.tracking_code,
        "status": open311_status(report.status),
        "service_name": category.name if category else "",
        "service_code": category.code if category else "",
        "agency_responsible": related.agencies.get(report.agency_id or 0) or "",
        "requested_datetime": iso(report.created_at, tz),
        "updated_datetime": iso(report.updated_at, tz),
        "expected_datetime": iso(report.expected_at, tz),
    }


def request_record(report: Report, related: Related, tz: ZoneInfo, base_url: str) -> dict[str, Any]:
    """One element of ``GET requests``: a whitelist of public fields; never the reporter's identity.

    An unpublished report gets its minimal record only: no text, place, photos or notes.
    """
    known = minimal_record(report, related, tz)
    if not report.published:
        return known
    photos = [media_url(base_url, key) for key in related.photos.get(report.id, [])]
    return {  # in the spec's order: XML readers may expect it
        "service_request_id": known["service_request_id"],
        "status": known["status"],
        "status_notes": report.result_text or STATUS_VI.get(report.status, report.status),
        "service_name": known["service_name"],
        "service_code": known["service_code"],
        "description": "" if (report.attributes or {}).get("placeholder_description") else report.description,
        "agency_responsible": known["agency_responsible"],
        "service_notice": "",
        "requested_datetime": known["requested_datetime"],
        "updated_datetime": known["updated_datetime"],
        "expected_datetime": known["expected_datetime"],
        "address": report.address or "",
        "address_id": "",
        "zipcode": "",
        "lat": report.lat,
        "long": report.lon,
        "media_url": photos[0] if photos else "",
        "extended_attributes": {
            "channel": report.channel,
            "status_detail": report.status,
            "urgency": report.urgency,
            "photos": photos,
            "duplicate_of": related.codes.get(report.duplicate_of_id or 0, ""),
            "me_too_count": report.me_too_count or 0,
        },
        "notes": [note_record(e, tz) for e in related.notes.get(report.id, [])],
    }


def request_records(session: Session, reports: Sequence[Report], tz: ZoneInfo, base_url: str) -> list[dict[str, Any]]:
    related = load_related(session, reports)
    return [request_record(r, related, tz, base_url) for r in reports]


def post_answer(code: str, notice: str, account_id: str | None) -> list[dict[str, Any]]:
    """The answer to ``POST requests``: the id at once (the report is already committed)."""
    return [{"service_request_id": code, "service_notice": notice, "account_id": account_id or ""}]


def discovery(base_url: str, changeset: datetime, tz: ZoneInfo, contact: str) -> dict[str, Any]:
    """``GET discovery``: where the API is and what it speaks."""
    url = f"{base_url.rstrip('/')}/open311/v2"
    return {
        "changeset": iso(changeset, tz),
        "contact": contact,
        "key_service": "Khoá API do quản trị viên cấp: python -m data.apikeys create TÊN",
        "endpoints": [{
            "specification": SPEC_URL,
            "url": url,
            "changeset": iso(changeset, tz),
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }],
    }  # fmt: skip


def refuse_nul(fields: dict[str, str]) -> None:
    """A NUL character in any field (name or value) is the spec's 400 naming the field, before anything else."""
    for name, value in fields.items():
        if has_nul(name) or has_nul(value):
            raise IntakeError(f"{shown(name)}: có ký tự NUL (\\x00) không hợp lệ; hãy bỏ ký tự đó rồi gửi lại.",
                              field=shown(name))


def errors(code: int, description: str) -> list[dict[str, Any]]:
    return [{"code": code, "description": description}]


# ---------------------------------------------------------------------------------------------
# XML
# ---------------------------------------------------------------------------------------------


def _xml_value(value: Any, key: str = "") -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: _xml_value(v, k) for k, v in value.items()}
    if isinstance(value, list):
        item = XML_ITEM.get(key, "item")
        return {item: [_xml_value(v, item) for v in value]} if value else None
    return str(value)


def to_xml(root: str, item: str | None, payload: Any) -> str:
    """The spec's XML: ``<services><service>…`` for a list, ``<root>…`` for one object."""
    body: Any = {item: [_xml_value(v) for v in payload]} if item is not None else _xml_value(payload)
    text: str = xmltodict.unparse({root: body or None}, encoding="utf-8", pretty=False)
    return text


def xml_names(kind: str) -> tuple[str, str | None]:
    """The root and item element names of each answer, as the spec's examples write them."""
    return {
        "services": ("services", "service"),
        "service_definition": ("service_definition", None),
        "requests": ("service_requests", "request"),
        "errors": ("errors", "error"),
        "discovery": ("discovery", None),
    }[kind]
