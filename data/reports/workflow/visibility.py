"""Who sees what: the reports an actor may list, and the fields of one they may read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false

from data.accounts.users import SEES_REPORTER
from data.models import Report, Role
from data.reports.workflow.rules import CITIZEN, SEES_ALL, Actor, status_label


def visible_reports(query: Select[Any], actor: Actor) -> Select[Any]:
    """``query`` narrowed to the reports ``actor`` may see (by their current agency, for agency staff)."""
    if actor.role in SEES_ALL:
        return query
    if actor.role == Role.AGENCY:
        if actor.agency_id is None:
            return query.where(false())
        return query.where(Report.agency_id == actor.agency_id)
    if actor.role == CITIZEN:
        return query.where(Report.published.is_(True))
    return query.where(false())


VIEW_FIELDS = (
    "id", "tracking_code", "channel", "status", "urgency", "title", "description", "category_id",
    "category_confirmed", "agency_id", "admin_unit_id", "lat", "lon", "address", "published", "result_text",
    "rating", "me_too_count", "reopen_count", "duplicate_of_id", "created_at", "updated_at", "expected_at",
    "resolved_at", "closed_at", "escalated_at",
)  # fmt: skip
# Sealed: the reporter's identity, and the channel extras that carry their chat id.
SEALED_FIELDS = ("reporter_name", "reporter_phone", "reporter_email", "attributes")


def report_view(report: Report, actor: Actor) -> dict[str, Any]:
    """The report's fields for display; the reporter's identity only for operators and admins."""
    view = {name: getattr(report, name) for name in VIEW_FIELDS}
    view["status_label"] = status_label(report.status)
    if actor.role in SEES_REPORTER:
        view.update({name: getattr(report, name) for name in SEALED_FIELDS})
    return view
