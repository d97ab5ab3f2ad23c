"""The life of a field report: who may move it from which status to which, and its append-only history.

Every change goes through ``apply``: it locks the report row, checks the actor and the status against
``TRANSITIONS`` (pure data, also behind ``allowed_actions`` for the UI's buttons), updates the report,
writes one ``ReportEvent`` and queues the reporter's notice in ``Outbox``. Committing, and announcing
the change on the bus after the commit, is the caller's job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from data.accounts.users import SEES_REPORTER
from data.core.errors import Forbidden, InvalidInput, NotFound
from data.core.sla import deadline_for
from data.models import (
    OPEN_STATUSES,
    AdminUnit,
    Agency,
    Attachment,
    Category,
    Channel,
    Outbox,
    Rating,
    Report,
    ReportEvent,
    ReportStatus,
    Role,
    User,
    utcnow,
)

# Callers pass the deployment's zone (settings.tz); this default is the only zone Vietnam has.
DEFAULT_TZ: tzinfo = ZoneInfo("Asia/Ho_Chi_Minh")

S = ReportStatus
# Two actors who are not users: the reporter (known by the tracking code) and the background jobs.
CITIZEN = "citizen"
SYSTEM = "system"
OPERATORS = frozenset({Role.OPERATOR.value, Role.ADMIN.value})
STAFF = OPERATORS | {Role.AGENCY.value}
# Roles that see every report; agency staff see their own agency's, the public only published ones.
SEES_ALL = frozenset({Role.OPERATOR.value, Role.ADMIN.value, Role.ANALYST.value, Role.LEADER.value, SYSTEM})

# The same words as the dashboard's ``status.*`` labels, so a notice reads like the screen.
STATUS_VI: dict[str, str] = {
    S.RECEIVED: "Mới tiếp nhận",
    S.VERIFIED: "Đã xác minh",
    S.ASSIGNED: "Đã chuyển xử lý",
    S.IN_PROGRESS: "Đang xử lý",
    S.RESOLVED: "Đã xử lý",
    S.CLOSED: "Đã đóng",
    S.REOPENED: "Mở lại",
    S.REJECTED: "Từ chối",
    S.DUPLICATE: "Trùng lặp",
    S.NOT_RESPONSIBLE: "Không thuộc thẩm quyền",
    S.REFERRED: "Chuyển đơn vị khác",
}


@dataclass(frozen=True)
class Actor:
    """Who acts: a logged-in user (with role and agency), the reporter, or the system."""

    user_id: int | None
    role: str | None
    agency_id: int | None
    name: str = ""

    @classmethod
    def citizen(cls, name: str = "Người phản ánh") -> Actor:
        return cls(None, CITIZEN, None, name)

    @classmethod
    def system(cls) -> Actor:
        return cls(None, SYSTEM, None, "Hệ thống")

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, user.role, user.agency_id, user.full_name or user.username)


def _statuses(*statuses: ReportStatus) -> frozenset[str]:
    return frozenset(s.value for s in statuses)


@dataclass(frozen=True)
class Transition:
    """One action: the statuses it starts from, where it leads (None: stays), who may take it."""

    sources: frozenset[str]
    target: str | None
    roles: frozenset[str]
    # The history's word for it: past tense, as the demo history (and its screens) already write it.
    event: str
    needs_note: bool = False


OPEN = _statuses(*OPEN_STATUSES)
ANY = _statuses(*S)
# Before a final answer: the statuses an operator can still send somewhere else.
UNSETTLED = OPEN | {S.NOT_RESPONSIBLE.value}
DONE = _statuses(S.RESOLVED, S.CLOSED)

TRANSITIONS: dict[str, Transition] = {
    "verify": Transition(_statuses(S.RECEIVED, S.REOPENED), S.VERIFIED, OPERATORS, "verified"),
    "assign": Transition(_statuses(S.RECEIVED, S.VERIFIED, S.REOPENED, S.NOT_RESPONSIBLE), S.ASSIGNED,
                         OPERATORS, "assigned"),
    "start": Transition(_statuses(S.ASSIGNED, S.REFERRED, S.REOPENED), S.IN_PROGRESS, STAFF, "started"),
    "resolve": Transition(_statuses(S.ASSIGNED, S.IN_PROGRESS, S.REOPENED), S.RESOLVED, STAFF, "resolved",
                          needs_note=True),
    "reject": Transition(_statuses(S.RECEIVED, S.VERIFIED, S.ASSIGNED, S.REOPENED, S.NOT_RESPONSIBLE),
                         S.REJECTED, OPERATORS, "rejected", needs_note=True),
    "mark_duplicate": Transition(UNSETTLED, S.DUPLICATE, OPERATORS, "duplicate"),
    "mark_not_responsible": Transition(_statuses(S.ASSIGNED, S.IN_PROGRESS, S.REFERRED), S.NOT_RESPONSIBLE,
                                       STAFF, "not_responsible", needs_note=True),
    "refer": Transition(UNSETTLED, S.REFERRED, STAFF, "referred", needs_note=True),
    # Stays, except that a new agency means the report is assigned to it afresh.
    "reroute": Transition(UNSETTLED, None, OPERATORS, "rerouted"),
    "reclassify": Transition(ANY, None, OPERATORS, "reclassified"),
    # The surviving report of a merge (see data.reports.duplicates.merge); it may already be resolved.
    "merge": Transition(OPEN | DONE, None, OPERATORS, "merged"),
    "publish": Transition(OPEN | DONE, None, OPERATORS, "published"),
    "unpublish": Transition(ANY, None, OPERATORS, "unpublished"),
    "rate": Transition(_statuses(S.RESOLVED), S.CLOSED, OPERATORS | {CITIZEN}, "rated"),
    "reopen": Transition(DONE, S.REOPENED, OPERATORS | {CITIZEN}, "reopened"),
    "close": Transition(_statuses(S.RESOLVED), S.CLOSED, OPERATORS | {SYSTEM}, "closed"),
    "escalate": Transition(OPEN, None, OPERATORS | {SYSTEM}, "escalated"),
}

ACTION_VI: dict[str, str] = {
    "verify": "xác minh", "assign": "giao xử lý", "start": "bắt đầu xử lý", "resolve": "báo đã xử lý",
    "reject": "từ chối", "mark_duplicate": "đánh dấu trùng", "mark_not_responsible": "báo không thuộc thẩm quyền",
    "refer": "chuyển đơn vị khác", "reroute": "điều chuyển", "reclassify": "sửa lĩnh vực", "merge": "gộp",
    "publish": "công khai", "unpublish": "thôi công khai", "rate": "đánh giá", "reopen": "mở lại",
    "close": "đóng", "escalate": "báo cáo vượt cấp",
}  # fmt: skip

# Status changes a citizen cares about: each queues a notice to the reporter (and merged reporters).
NOTIFY_STATUSES = _statuses(S.ASSIGNED, S.RESOLVED, S.REJECTED, S.DUPLICATE, S.REFERRED, S.REOPENED)


# ---------------------------------------------------------------------------------------------
# Pure rules
# ---------------------------------------------------------------------------------------------


def _may_touch(report: Report, actor: Actor) -> bool:
    """Agency staff act only on their agency's reports; everyone else is limited by role alone."""
    if actor.role != Role.AGENCY:
        return True
    return actor.agency_id is not None and report.agency_id == actor.agency_id


def _blocked(report: Report, action: str) -> str | None:
    """Why an action cannot be taken now although the status allows it (None: it can)."""
    if action == "publish" and not report.publish_consent:
        return "người phản ánh không đồng ý công khai (no publish consent)"
    if action == "publish" and report.published:
        return "phản ánh đã được công khai (already published)"
    if action == "unpublish" and not report.published:
        return "phản ánh chưa được công khai (not published)"
    if action == "escalate" and report.escalated_at is not None:
        return "phản ánh đã được báo cáo vượt cấp (already escalated)"
    return None


def allowed_actions(report: Report, actor: Actor) -> list[str]:
    """The actions ``actor`` may take on ``report`` now, in the table's order (for the UI's buttons)."""
    if not _may_touch(report, actor):
        return []
    return [
        action for action, rule in TRANSITIONS.items()
        if actor.role in rule.roles and report.status in rule.sources and _blocked(report, action) is None
    ]  # fmt: skip


def _status_label(status: str | None) -> str:
    return STATUS_VI.get(status or "", status or "")


def check_action(report: Report, action: str, actor: Actor) -> Transition:
    """The action's rule, or the Forbidden / InvalidInput that says why ``actor`` cannot take it now."""
    rule = TRANSITIONS.get(action)
    if rule is None:
        raise InvalidInput(f"Thao tác '{action}' không tồn tại (unknown action).")
    what = ACTION_VI[action]
    if actor.role not in rule.roles:
        raise Forbidden(f"Bạn không được phép {what} phản ánh (role {actor.role} may not {action}).")
    if not _may_touch(report, actor):
        raise Forbidden(f"Phản ánh {report.tracking_code} không thuộc đơn vị của bạn (another agency's report).")
    if report.status not in rule.sources:
        raise InvalidInput(
            f"Không thể {what} phản ánh {report.tracking_code} đang ở trạng thái "
            f"'{_status_label(report.status)}' (cannot {action} a report that is {report.status})."
        )
    reason = _blocked(report, action)
    if reason is not None:
        raise InvalidInput(f"Không thể {what} phản ánh {report.tracking_code}: {reason}.")
    return rule


def contact_of(report: Report) -> tuple[str, str] | None:
    """Where the reporter hears back: the chat they wrote from, else their e-mail, else nowhere.
    ``sender_id`` is written by intake only for chat messages (``Submission.reply_to``)."""
    sender = (report.attributes or {}).get("sender_id")
    if sender:
        return report.channel, str(sender)
    if report.reporter_email:
        return Channel.EMAIL.value, report.reporter_email
    return None


def notice_text(status: str, code: str, *, agency: str | None = None, note: str | None = None,
                target_code: str | None = None) -> str:
    """The Vietnamese notice of a status change of report ``code``."""
    where = agency or "đơn vị có thẩm quyền"
    texts: dict[str, str] = {
        S.ASSIGNED: f"Phản ánh {code} đã được chuyển đến {where} xử lý.",
        S.RESOLVED: f"Phản ánh {code} đã được xử lý: {note or ''} Mời bạn đánh giá kết quả (1–5 sao).",
        S.REJECTED: f"Phản ánh {code} không được tiếp nhận. Lý do: {note or ''}",
        S.DUPLICATE: f"Phản ánh {code} trùng với phản ánh {target_code} đang được xử lý; bạn sẽ nhận thông "
                     f"báo khi phản ánh {target_code} có kết quả.",
        S.REFERRED: f"Phản ánh {code} đã được chuyển đến {where}. {note or ''}",
        S.REOPENED: f"Phản ánh {code} đã được mở lại để xử lý tiếp.",
    }  # fmt: skip
    text = texts.get(status, f"Phản ánh {code}: {_status_label(status)}.")
    return " ".join(text.split())


# ---------------------------------------------------------------------------------------------
# Applying an action
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """What the caller passed to ``apply``, after cleaning."""

    actor: Actor
    at: datetime
    note: str | None
    agency_id: int | None
    category_id: int | None
    admin_unit_id: int | None
    rating: int | None
    after_photo_ids: tuple[int, ...]
    require_after_photo: bool
    duplicate_of_id: int | None
    data: dict[str, Any] = field(default_factory=dict)
    tz: tzinfo = DEFAULT_TZ


def lock_report(session: Session, report_id: int) -> Report:
    """The report, its row locked until commit (PostgreSQL) so two operators cannot race a change."""
    # populate_existing: a row already in the session is re-read once we hold the lock.
    report = session.scalar(
        select(Report).where(Report.id == report_id).with_for_update()
        .execution_options(populate_existing=True)
    )  # fmt: skip
    if report is None:
        raise NotFound(f"Không tìm thấy phản ánh số {report_id} (report not found).")
    return report


def apply(
    session: Session,
    report_id: int,
    action: str,
    actor: Actor,
    *,
    note: str | None = None,
    agency_id: int | None = None,
    category_id: int | None = None,
    admin_unit_id: int | None = None,
    rating: int | None = None,
    after_photo_ids: Sequence[int] = (),
    require_after_photo: bool = False,
    duplicate_of_id: int | None = None,
    data: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    tz: tzinfo = DEFAULT_TZ,
) -> ReportEvent:
    """Take ``action`` on the report as ``actor``; writes one event and the reporter's notices."""
    report = lock_report(session, report_id)
    rule = check_action(report, action, actor)
    req = Request(actor, now or utcnow(), (note or "").strip() or None, agency_id, category_id, admin_unit_id,
                  rating, tuple(after_photo_ids), require_after_photo, duplicate_of_id, dict(data or {}), tz)
    if rule.needs_note and req.note is None:
        raise InvalidInput(f"Cần ghi rõ nội dung để {ACTION_VI[action]} phản ánh (a note is required).")
    before_status, before_agency = report.status, report.agency_id
    facts = HANDLERS[action](session, report, req)
    if rule.target is not None:
        report.status = rule.target
    report.updated_at = req.at
    event = _record(session, report, rule, req, before_status, facts)
    if report.status in NOTIFY_STATUSES and (report.status != before_status or report.agency_id != before_agency):
        notify_status(session, report, req.note, req.at)
    return event


def _record(session: Session, report: Report, rule: Transition, req: Request, before: str,
            facts: dict[str, Any]) -> ReportEvent:
    data = {**req.data, **facts}
    if req.actor.user_id is None:  # the reporter or a job: say which, since there is no user to name
        data["by"] = req.actor.role
    event = ReportEvent(report_id=report.id, at=req.at, user_id=req.actor.user_id, action=rule.event,
                        from_status=before, to_status=report.status, agency_id=report.agency_id,
                        note=req.note, data=data or None)
    session.add(event)
    session.flush()
    return event


def _agency(session: Session, agency_id: int | None) -> Agency:
    agency = session.get(Agency, agency_id) if agency_id is not None else None
    if agency is None or not agency.active:
        raise InvalidInput(f"Đơn vị xử lý số {agency_id} không tồn tại hoặc đã ngừng (unknown agency).")
    return agency


def _category(session: Session, category_id: int | None) -> Category:
    category = session.get(Category, category_id) if category_id is not None else None
    if category is None:
        raise InvalidInput(f"Lĩnh vực số {category_id} không tồn tại (unknown category).")
    return category


def _on_assign(session: Session, report: Report, req: Request) -> dict[str, Any]:
    report.agency_id = _agency(session, req.agency_id).id
    return {}


def _after_photos(session: Session, report: Report, req: Request) -> list[Attachment]:
    ids = set(req.after_photo_ids)
    if req.require_after_photo and not ids:
        raise InvalidInput("Cần ảnh sau khi xử lý để báo đã xử lý (an 'after' photo is required).")
    if not ids:
        return []
    photos = list(session.scalars(select(Attachment).where(Attachment.id.in_(ids))))
    if len(photos) != len(ids) or any(p.report_id != report.id for p in photos):
        raise InvalidInput("Ảnh sau khi xử lý không thuộc phản ánh này (after photo of another report).")
    return photos


def _on_resolve(session: Session, report: Report, req: Request) -> dict[str, Any]:
    photos = _after_photos(session, report, req)
    for photo in photos:
        photo.kind = "after_photo"
    report.result_text = req.note
    report.resolved_at = req.at
    return {"after_photo_ids": sorted(p.id for p in photos)} if photos else {}


def _on_final(session: Session, report: Report, req: Request) -> dict[str, Any]:
    """Rejected: the reason is the answer the reporter (and the public page) sees."""
    report.result_text = req.note
    report.closed_at = req.at
    return {}


def _on_duplicate(session: Session, report: Report, req: Request) -> dict[str, Any]:
    target = session.get(Report, req.duplicate_of_id) if req.duplicate_of_id is not None else None
    if target is None or target.id == report.id:
        raise InvalidInput("Cần chọn phản ánh gốc khác với phản ánh này (duplicate_of_id).")
    report.duplicate_of_id = target.id
    report.closed_at = req.at
    return {"duplicate_of_id": target.id, "duplicate_of_code": target.tracking_code}


def _on_refer(session: Session, report: Report, req: Request) -> dict[str, Any]:
    agency = _agency(session, req.agency_id)
    if agency.id == report.agency_id:
        raise InvalidInput("Phản ánh đã thuộc đơn vị này; hãy chọn đơn vị khác (refer to another agency).")
    old, report.agency_id = report.agency_id, agency.id
    return {"from_agency_id": old}


def _on_reroute(session: Session, report: Report, req: Request) -> dict[str, Any]:
    new = {"category_id": req.category_id, "agency_id": req.agency_id, "admin_unit_id": req.admin_unit_id}
    changes = {k: v for k, v in new.items() if v is not None and v != getattr(report, k)}
    if not changes:
        raise InvalidInput("Điều chuyển cần lĩnh vực, đơn vị hoặc địa bàn mới (nothing to change).")
    if "category_id" in changes:
        _category(session, req.category_id)
        report.category_confirmed = True  # an operator's correction: a label the classifier may learn
    if "agency_id" in changes:
        _agency(session, req.agency_id)
        report.status = S.ASSIGNED  # the new agency must take it up afresh
    if "admin_unit_id" in changes and session.get(AdminUnit, req.admin_unit_id) is None:
        raise InvalidInput(f"Địa bàn số {req.admin_unit_id} không tồn tại (unknown admin unit).")
    old = {k: getattr(report, k) for k in changes}
    for key, value in changes.items():
        setattr(report, key, value)
    return {"old": old, "new": changes}


def _on_reclassify(session: Session, report: Report, req: Request) -> dict[str, Any]:
    old = report.category_id
    report.category_id = _category(session, req.category_id).id
    report.category_confirmed = True  # the same category confirms it; another one corrects it
    return {"old_category_id": old, "category_id": report.category_id}


def _on_publish(session: Session, report: Report, req: Request) -> dict[str, Any]:
    report.published = True
    return {}


def _on_unpublish(session: Session, report: Report, req: Request) -> dict[str, Any]:
    report.published = False
    return {}


def _on_rate(session: Session, report: Report, req: Request) -> dict[str, Any]:
    score = req.rating
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise InvalidInput(f"Điểm đánh giá phải từ 1 đến 5, không phải {score} (rating must be 1–5).")
    session.add(Rating(report_id=report.id, score=score, comment=req.note, at=req.at))
    report.rating = score
    report.closed_at = req.at
    return {"score": score}


def _on_reopen(session: Session, report: Report, req: Request) -> dict[str, Any]:
    report.reopen_count += 1
    report.resolved_at = None  # it is not resolved any more; the earlier fix stays in the history
    report.closed_at = None
    # A fresh deadline from now (the old one has passed): the agency gets its SLA again, and the
    # overdue escalation may fire again for the new deadline.
    old_deadline = report.expected_at
    category = session.get(Category, report.category_id) if report.category_id else None
    if category is not None:
        report.expected_at = deadline_for(req.at, category.sla_working_days, category.sla_emergency_hours,
                                          report.urgency, req.tz)
    report.escalated_at = None
    return {"reopen_count": report.reopen_count,
            "old_expected_at": old_deadline.isoformat() if old_deadline else None,
            "expected_at": report.expected_at.isoformat() if report.expected_at else None}


def _on_close(session: Session, report: Report, req: Request) -> dict[str, Any]:
    report.closed_at = req.at
    return {}


def _on_escalate(session: Session, report: Report, req: Request) -> dict[str, Any]:
    report.escalated_at = req.at
    due = report.expected_at
    return {"expected_at": due.isoformat()} if due else {}


def _nothing(session: Session, report: Report, req: Request) -> dict[str, Any]:
    return {}


Handler = Callable[[Session, Report, Request], dict[str, Any]]
HANDLERS: dict[str, Handler] = {
    "verify": _nothing, "assign": _on_assign, "start": _nothing, "resolve": _on_resolve, "reject": _on_final,
    "mark_duplicate": _on_duplicate, "mark_not_responsible": _nothing, "refer": _on_refer,
    "reroute": _on_reroute, "reclassify": _on_reclassify, "merge": _nothing, "publish": _on_publish,
    "unpublish": _on_unpublish, "rate": _on_rate, "reopen": _on_reopen, "close": _on_close,
    "escalate": _on_escalate,
}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Notices to reporters
# ---------------------------------------------------------------------------------------------


def queue_notice(session: Session, report: Report, body: str, at: datetime) -> Outbox | None:
    """Queue ``body`` for the reporter of ``report``; None when they left no way to reach them."""
    contact = contact_of(report)
    if contact is None:
        return None
    row = Outbox(channel=contact[0], recipient=contact[1], report_id=report.id, body=body,
                 next_attempt_at=at, created_at=at)
    session.add(row)
    return row


def notify_status(session: Session, report: Report, note: str | None, at: datetime) -> None:
    """Tell the reporter, and the reporters merged into this report, of its new status."""
    agency = session.get(Agency, report.agency_id) if report.agency_id is not None else None
    target = session.get(Report, report.duplicate_of_id) if report.duplicate_of_id is not None else None
    body = notice_text(report.status, report.tracking_code, agency=agency.name if agency else None, note=note,
                       target_code=target.tracking_code if target else None)
    queue_notice(session, report, body, at)
    for merged in session.scalars(select(Report).where(Report.duplicate_of_id == report.id)):
        own = f" (Phản ánh {merged.tracking_code} của bạn đã được gộp vào phản ánh {report.tracking_code}.)"
        queue_notice(session, merged, body + own, at)


# ---------------------------------------------------------------------------------------------
# Who sees what
# ---------------------------------------------------------------------------------------------


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
    view["status_label"] = _status_label(report.status)
    if actor.role in SEES_REPORTER:
        view.update({name: getattr(report, name) for name in SEALED_FIELDS})
    return view


# ---------------------------------------------------------------------------------------------
# Overdue reports
# ---------------------------------------------------------------------------------------------


def escalate_overdue(session: Session, now: datetime, limit: int = 500) -> list[Report]:
    """Escalate (once) the open reports past their deadline: an ``escalated`` event each, by the system."""
    ids = session.scalars(
        select(Report.id)
        .where(Report.status.in_(OPEN), Report.expected_at < now, Report.escalated_at.is_(None))
        .order_by(Report.expected_at)
        .limit(limit)
    ).all()
    escalated = []
    for report_id in ids:
        try:
            apply(session, report_id, "escalate", Actor.system(), now=now,
                  note="Quá hạn xử lý: tự động báo cáo lãnh đạo.")
        except InvalidInput:  # another worker escalated or closed it since we looked: nothing to do
            continue
        escalated.append(session.get_one(Report, report_id))
    return escalated
