"""The answers' JSON shapes, built field by field from a whitelist, never by dumping a row: a published
report's record, an unpublished one's minimal record, the POST answer, discovery and errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.intake.open311.records.queries import iso, open311_status
from data.models import Agency, Attachment, Category, Report, ReportEvent
from data.reports.workflow import STATUS_VI

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
# History actions that reach the public as notes; the note text only for the public answers.
NOTE_ACTIONS = frozenset({
    "created", "verified", "assigned", "started", "resolved", "rejected", "duplicate", "not_responsible",
    "referred", "rerouted", "reopened", "closed", "rated", "merged",
})  # fmt: skip
PUBLIC_NOTE_TEXT = frozenset({"resolved", "rejected", "referred"})
# What an unpublished report answers to whoever holds its id: where it stands, not what it says.
MINIMAL_FIELDS = ("service_request_id", "status", "service_code", "service_name", "requested_datetime",
                  "updated_datetime", "expected_datetime", "agency_responsible")


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


def errors(code: int, description: str) -> list[dict[str, Any]]:
    return [{"code": code, "description": description}]
