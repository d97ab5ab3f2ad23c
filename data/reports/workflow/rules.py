"""Who may move a report from which status to which: the transition table and its checks, all pure.

``TRANSITIONS`` is plain data; ``check_action`` says why an actor cannot take an action now, and
``allowed_actions`` lists the ones they can (the UI's buttons)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from zoneinfo import ZoneInfo

from data.core.errors import Forbidden, InvalidInput
from data.models import OPEN_STATUSES, Report, ReportStatus, Role, User

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


def status_label(status: str | None) -> str:
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
            f"'{status_label(report.status)}' (cannot {action} a report that is {report.status})."
        )
    reason = _blocked(report, action)
    if reason is not None:
        raise InvalidInput(f"Không thể {what} phản ánh {report.tracking_code}: {reason}.")
    return rule
