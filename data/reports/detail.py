"""One report as the reports page's detail panel shows it, and the actions the panel takes on it.

Everything goes through ``data.reports.workflow``: the report is read only if ``visible_reports`` lets the
actor see it, its fields through ``report_view`` (the reporter's identity only for operators), and
every change through ``workflow.apply`` or ``duplicates.merge``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.core.errors import InvalidInput, NotFound
from data.models import AdminUnit, Agency, Attachment, Category, Report, ReportEvent, User, utcnow
from data.reports.duplicates import find_duplicates, merge
from data.reports.queries import REPORT_LIST_COLUMNS, is_overdue
from data.reports.workflow import CITIZEN, TRANSITIONS, Actor, allowed_actions, apply, report_view, visible_reports

if TYPE_CHECKING:
    from data.core.runtime import Runtime

# What each action's form asks for besides its note (``needs_note`` in TRANSITIONS says when the
# note is required). Actions not listed need a note at most.
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "assign": ("agency",),
    "refer": ("agency",),
    "reroute": ("category", "agency", "area"),
    "reclassify": ("category",),
    "rate": ("rating",),
    "mark_duplicate": ("duplicate",),
}
# Taken elsewhere in the panel: "merge" is the surviving side of a merge (the "Gộp" button).
NOT_BUTTONS = frozenset({"merge"})
# Panel-only actions, on top of the workflow's: accept the classifier's suggestion, merge a candidate.
CONFIRM_CATEGORY = "confirm_category"
MERGE_WITH = "merge_with"
CITIZEN_NAME = "Người dân"
SYSTEM_NAME = "Hệ thống"


@dataclass(frozen=True)
class TimelineEntry:
    """One event of the report's history, as the panel lists it."""

    at: Any
    who: str
    action: str
    from_status: str | None
    to_status: str | None
    note: str | None


@dataclass(frozen=True)
class Photo:
    """A file sent with the report: served by ``/media/<key>`` to those who may see it."""

    key: str
    has_thumbnail: bool
    kind: str
    content_type: str
    name: str


@dataclass(frozen=True)
class DuplicateOption:
    """A report that may be the same problem, with its current status."""

    report_id: int
    tracking_code: str
    status: str
    distance_m: float | None
    score: float | None


@dataclass(frozen=True)
class Detail:
    """Everything the detail panel shows of one report, already cut to what the actor may see."""

    view: dict[str, Any]
    names: dict[str, tuple[str, str] | None]  # category / agency / area / suggested: (vi, en)
    confidence: float | None
    suggested_category_id: int | None
    overdue: bool
    photos: list[Photo] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    duplicates: list[DuplicateOption] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ActionForm:
    """What the panel's small form sent; only the fields the action needs are passed on."""

    note: str | None = None
    agency_id: int | None = None
    category_id: int | None = None
    admin_unit_id: int | None = None
    rating: int | None = None
    duplicate_code: str | None = None
    duplicate_id: int | None = None


def visible_report(session: Session, report_id: int, actor: Actor) -> Report:
    """The report if ``actor`` may see it; NotFound otherwise (it confirms nothing to the others)."""
    report = session.scalar(visible_reports(select(Report).where(Report.id == report_id), actor))
    if report is None:
        raise NotFound(f"Không tìm thấy phản ánh số {report_id} (report not found).")
    return report


def _name(session: Session, model: type[Category] | type[Agency] | type[AdminUnit],
          ident: int | None) -> tuple[str, str] | None:
    row = cast(Category | Agency | AdminUnit | None, session.get(model, ident) if ident is not None else None)
    if row is None:
        return None
    english = getattr(row, "name_en", None)
    return row.name, english or row.name


def who(event_user: str | None, action: str, data: dict[str, Any] | None) -> str:
    """Who took a step: the user's name, else the reporter (their own report, a rating) or the system."""
    if event_user:
        return event_user
    by = (data or {}).get("by")
    if by == CITIZEN or (by is None and action == "created"):
        return CITIZEN_NAME
    return SYSTEM_NAME


def timeline(session: Session, report_id: int) -> list[TimelineEntry]:
    """The report's history, oldest first, each step with who took it."""
    rows = session.execute(
        select(ReportEvent, User.full_name, User.username)
        .outerjoin(User, User.id == ReportEvent.user_id)
        .where(ReportEvent.report_id == report_id)
        .order_by(ReportEvent.at, ReportEvent.id)
    ).all()
    return [TimelineEntry(e.at, who(full or user, e.action, e.data), e.action, e.from_status, e.to_status, e.note)
            for e, full, user in rows]


def photos(session: Session, report_id: int) -> list[Photo]:
    """The report's files, oldest first."""
    rows = session.scalars(select(Attachment).where(Attachment.report_id == report_id).order_by(Attachment.id))
    return [Photo(a.storage_key, a.thumbnail_key is not None, a.kind, a.content_type, a.original_name or a.kind)
            for a in rows]


def duplicate_options(session: Session, report: Report, radius_m: float, days: int) -> list[DuplicateOption]:
    """Likely duplicates: those the background processing stored, else a live search."""
    stored = (report.attributes or {}).get("duplicate_candidates") or []
    found: dict[int, tuple[float | None, float | None]] = {}
    for item in stored:
        if isinstance(item, dict) and isinstance(item.get("id"), int):
            found[item["id"]] = (item.get("distance_m"), item.get("score"))
    if not found:
        for c in find_duplicates(session, report, radius_m, days):
            found[c.report_id] = (c.distance_m, c.score)
    found.pop(report.id, None)
    if not found:
        return []
    rows = session.execute(select(Report.id, Report.tracking_code, Report.status)
                           .where(Report.id.in_(found))).all()
    options = [DuplicateOption(r.id, r.tracking_code, r.status, *found[r.id]) for r in rows]
    return sorted(options, key=lambda o: -(o.score or 0))


def load_detail(session: Session, report_id: int, actor: Actor, *, radius_m: float, days: int) -> Detail:
    """The detail panel of one report for ``actor`` (NotFound when they may not see it)."""
    report = visible_report(session, report_id, actor)
    actions = [a for a in allowed_actions(report, actor) if a not in NOT_BUTTONS]
    return Detail(
        view=report_view(report, actor),
        names={"category": _name(session, Category, report.category_id),
               "agency": _name(session, Agency, report.agency_id),
               "area": _name(session, AdminUnit, report.admin_unit_id),
               "suggested": _name(session, Category, report.suggested_category_id)},
        confidence=report.classification_confidence,
        suggested_category_id=report.suggested_category_id,
        overdue=is_overdue(report.status, report.expected_at, utcnow()),
        photos=photos(session, report.id),
        timeline=timeline(session, report.id),
        duplicates=duplicate_options(session, report, radius_m, days) if "mark_duplicate" in actions else [],
        actions=actions,
    )


def report_row(session: Session, report_id: int) -> dict[str, Any] | None:
    """One report as a row of the grid (the same columns as ``queries.report_page``)."""
    row = session.execute(
        select(*REPORT_LIST_COLUMNS)
        .outerjoin(Category, Category.id == Report.category_id)
        .outerjoin(Agency, Agency.id == Report.agency_id)
        .outerjoin(AdminUnit, AdminUnit.id == Report.admin_unit_id)
        .where(Report.id == report_id)
    ).mappings().first()
    if row is None:
        return None
    item = dict(row)
    item["overdue"] = is_overdue(item["status"], item["expected_at"], utcnow())
    return item


def _duplicate_target(session: Session, form: ActionForm) -> int:
    if form.duplicate_id is not None:
        return form.duplicate_id
    code = (form.duplicate_code or "").strip()
    target = session.scalar(select(Report.id).where(Report.tracking_code == code)) if code else None
    if target is None:
        raise InvalidInput(f"Không tìm thấy phản ánh gốc có mã '{code}' (unknown tracking code).")
    return target


def _merge_with(session: Session, report: Report, other_id: int, actor: Actor) -> list[int]:
    """Merge two likely duplicates: the later report goes into the earlier one."""
    other = visible_report(session, other_id, actor)
    newer, older = sorted((report, other), key=lambda r: (r.created_at, r.id), reverse=True)
    merge(session, newer.id, older.id, actor)
    return [newer.id, older.id]


def take_action(session: Session, report_id: int, action: str, actor: Actor, form: ActionForm) -> list[int]:
    """Take one of the panel's actions as ``actor``; the ids of the reports it changed.

    Raises InvalidInput, Forbidden or NotFound (with a Vietnamese message) when it cannot be taken.
    """
    report = visible_report(session, report_id, actor)
    if action == CONFIRM_CATEGORY:
        category = report.suggested_category_id or report.category_id
        apply(session, report.id, "reclassify", actor, category_id=category, note=form.note)
        return [report.id]
    if action == MERGE_WITH:
        if form.duplicate_id is None:
            raise InvalidInput("Cần chọn phản ánh để gộp (no report to merge with).")
        return _merge_with(session, report, form.duplicate_id, actor)
    if action == "mark_duplicate":
        target = _duplicate_target(session, form)
        merge(session, report.id, target, actor)
        return [report.id, target]
    if action not in TRANSITIONS:
        raise InvalidInput(f"Thao tác '{action}' không tồn tại (unknown action).")
    wanted = ACTION_FIELDS.get(action, ())
    apply(session, report.id, action, actor, note=form.note,
          agency_id=form.agency_id if "agency" in wanted else None,
          category_id=form.category_id if "category" in wanted else None,
          admin_unit_id=form.admin_unit_id if "area" in wanted else None,
          rating=form.rating if "rating" in wanted else None)
    return [report.id]


def act(runtime: Runtime, report_id: int, action: str, actor: Actor, form: ActionForm) -> dict[int, str]:
    """Take the action and commit, then announce each changed report on the bus; their new statuses."""
    with runtime.session() as session:
        changed = take_action(session, report_id, action, actor, form)
        rows = session.execute(select(Report.id, Report.status).where(Report.id.in_(changed))).all()
        statuses = {ident: status for ident, status in rows}
    for ident, status in statuses.items():  # after the commit: a listener reads what it is told
        runtime.bus.publish("reports", {"id": ident, "status": status})
    return statuses
