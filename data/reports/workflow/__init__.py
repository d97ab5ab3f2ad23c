"""The life of a field report: who may move it from which status to which, and its append-only history.

Every change goes through ``apply``: it locks the report row, checks the actor and the status against
``TRANSITIONS`` (pure data, also behind ``allowed_actions`` for the UI's buttons), updates the report,
writes one ``ReportEvent`` and queues the reporter's notice in ``Outbox``. Committing, and announcing
the change on the bus after the commit, is the caller's job.

Where things live: ``rules`` (the transition table and its pure checks), ``handlers`` (what each
action does to the report), ``actions`` (``apply`` and the overdue escalation), ``notices`` (what the
reporter is told), ``visibility`` (who sees which reports and fields).
"""

from __future__ import annotations

from data.reports.workflow.actions import apply, escalate_overdue, lock_report
from data.reports.workflow.handlers import HANDLERS, Request
from data.reports.workflow.notices import contact_of, notice_text, notify_status, queue_notice
from data.reports.workflow.rules import (
    ACTION_VI,
    CITIZEN,
    DEFAULT_TZ,
    OPERATORS,
    SEES_ALL,
    STAFF,
    STATUS_VI,
    SYSTEM,
    TRANSITIONS,
    Actor,
    Transition,
    allowed_actions,
    check_action,
    status_label,
)
from data.reports.workflow.visibility import SEALED_FIELDS, VIEW_FIELDS, report_view, visible_reports

__all__ = [
    "ACTION_VI",
    "CITIZEN",
    "DEFAULT_TZ",
    "HANDLERS",
    "OPERATORS",
    "SEALED_FIELDS",
    "SEES_ALL",
    "STAFF",
    "STATUS_VI",
    "SYSTEM",
    "TRANSITIONS",
    "VIEW_FIELDS",
    "Actor",
    "Request",
    "Transition",
    "allowed_actions",
    "apply",
    "check_action",
    "contact_of",
    "escalate_overdue",
    "lock_report",
    "notice_text",
    "notify_status",
    "queue_notice",
    "report_view",
    "status_label",
    "visible_reports",
]
