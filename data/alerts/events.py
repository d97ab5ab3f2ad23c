"""Events and alerts: one model for everything an operator must handle, with its procedure (SOP).

Every alert, whatever raised it (a KPI off target, a camera down, motion, an overdue report, a sensor
over its limit, a press article, a failed-login storm, a manual warning), lives the same life::

    new ──ack──▶ acknowledged ──start──▶ handling ──close──▶ closed ──reopen──▶ acknowledged

Each step is a row of ``alert_events`` (append-only: who, when, what, the status after it); the
``alerts`` row only caches the current state for fast lists. The procedure for an alert's kind (an
ordered checklist, each step with its responsible unit) comes from ``sops.toml``; which steps are
done is derived from the events, never stored twice, so the history is the only truth.

The transition rules and the checklist are pure functions; ``raise_alert`` and ``act`` are the only
writers, and callers publish the change on the bus after they commit (``published``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.core.errors import InvalidInput, NotFound
from data.models import Alert, AlertEvent, User, utcnow

if TYPE_CHECKING:
    from data.core.runtime import Runtime

SOPS_FILE = Path(__file__).resolve().parent / "sops.toml"
STATUSES = ("new", "acknowledged", "handling", "closed")
OPEN_STATUSES = ("new", "acknowledged", "handling")
SEVERITIES = ("info", "warning", "critical")
MAX_NOTE = 2000
TOPIC = "alerts"

# action -> (statuses it may start from, status after; None = unchanged)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "raised": ((), "new"),
    "ack": (("new",), "acknowledged"),
    "start": (("new", "acknowledged"), "handling"),
    "assign": (OPEN_STATUSES, None),
    "step": (OPEN_STATUSES, None),  # ticking a step of a new/acknowledged alert starts handling
    "unstep": (OPEN_STATUSES, None),
    "note": (STATUSES, None),
    "close": (OPEN_STATUSES, "closed"),
    "reopen": (("closed",), "acknowledged"),
}


@dataclass(frozen=True)
class Step:
    text: str
    text_en: str
    unit: str  # who is responsible for it


@dataclass(frozen=True)
class Sop:
    kind: str
    name: str
    name_en: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class StepState:
    index: int
    step: Step
    done: bool
    by: int | None
    at: datetime | None


def next_status(current: str, action: str) -> str:
    """The status after ``action``, or InvalidInput saying why the action is not allowed now."""
    if action not in TRANSITIONS or action == "raised":
        raise InvalidInput(f"Thao tác không hợp lệ: {action!r}.")
    allowed, after = TRANSITIONS[action]
    if current not in allowed:
        raise InvalidInput(f"Không thể «{action}» một cảnh báo đang ở trạng thái «{current}».")
    if action == "step" and current in ("new", "acknowledged"):
        return "handling"
    return after or current


def checklist(sop: Sop, events: Iterable[AlertEvent]) -> list[StepState]:
    """Each step of the procedure, done or not, by whom and when: the last tick or untick wins."""
    last: dict[int, AlertEvent] = {}
    for event in sorted(events, key=lambda e: (e.at, e.id or 0)):
        if event.action in ("step", "unstep") and event.step is not None:
            last[event.step] = event
    states = []
    for index, step in enumerate(sop.steps):
        latest = last.get(index)
        done = latest is not None and latest.action == "step"
        states.append(StepState(index, step, done, latest.user_id if latest else None,
                                latest.at if latest else None))
    return states


@cache
def sops() -> dict[str, Sop]:
    """The procedures by alert kind; ``default`` serves kinds without their own."""
    raw = tomllib.loads(SOPS_FILE.read_text(encoding="utf-8"))
    out = {}
    for item in raw["sop"]:
        steps = tuple(Step(s["text"], s["text_en"], s["unit"]) for s in item["steps"])
        out[item["kind"]] = Sop(item["kind"], item["name"], item["name_en"], steps)
    return out


def sop_for(kind: str) -> Sop:
    procedures = sops()
    return procedures.get(kind, procedures["default"])


def raise_alert(
    session: Session,
    *,
    kind: str,
    title: str,
    severity: str = "warning",
    message: str | None = None,
    source: str | None = None,
    source_ref: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    now: datetime | None = None,
    user_id: int | None = None,
    **extra: Any,
) -> Alert:
    """Add a new alert and the first line of its history (flushed, so it has an id)."""
    if severity not in SEVERITIES:
        raise InvalidInput(f"Mức độ không hợp lệ: {severity!r} (một trong {', '.join(SEVERITIES)}).")
    now = now or utcnow()
    alert = Alert(kind=kind, severity=severity, title=title[:300], message=message, source=source and source[:100],
                  source_ref=source_ref and source_ref[:100], lat=lat, lon=lon, status="new", created_at=now,
                  updated_at=now, **extra)
    session.add(alert)
    session.flush()
    session.add(AlertEvent(alert_id=alert.id, at=now, user_id=user_id, action="raised", status="new"))
    return alert


def act(
    session: Session,
    alert_id: int,
    action: str,
    *,
    user_id: int | None,
    step: int | None = None,
    assignee_id: int | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> Alert:
    """Apply one operator action to an alert and append it to the history; InvalidInput when not allowed."""
    alert = session.get(Alert, alert_id, with_for_update=True)
    if alert is None:
        raise NotFound(f"Không có cảnh báo số {alert_id}.")
    status = next_status(alert.status, action)
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise InvalidInput(f"Ghi chú dài {len(note)} ký tự; tối đa {MAX_NOTE}.")
    if action in ("close", "note") and note is None:
        raise InvalidInput("Cần ghi chú: đã xử lý thế nào, hoặc vì sao đóng.")
    if action in ("step", "unstep"):
        steps = len(sop_for(alert.kind).steps)
        if step is None or not 0 <= step < steps:
            raise InvalidInput(f"Bước {step} không có trong quy trình ({steps} bước).")
    if action == "assign":
        if assignee_id is None or session.get(User, assignee_id) is None:
            raise InvalidInput("Chọn một người dùng để giao xử lý.")
        alert.assignee_id = assignee_id
    now = now or utcnow()
    if action == "ack" or (alert.acknowledged_at is None and status != "new"):
        alert.acknowledged_at, alert.acknowledged_by = now, user_id
    alert.closed_at = now if status == "closed" else None
    alert.status, alert.updated_at = status, now
    session.add(AlertEvent(alert_id=alert.id, at=now, user_id=user_id, action=action, status=status,
                           step=step if action in ("step", "unstep") else None,
                           assignee_id=assignee_id if action == "assign" else None, note=note))
    return alert


def history(session: Session, alert_id: int) -> list[AlertEvent]:
    return list(session.scalars(select(AlertEvent).where(AlertEvent.alert_id == alert_id)
                                .order_by(AlertEvent.at, AlertEvent.id)))


def open_alerts(session: Session, *, limit: int = 200, statuses: Sequence[str] = OPEN_STATUSES,
                severities: Sequence[str] = SEVERITIES, kinds: Sequence[str] | None = None) -> list[Alert]:
    """The alerts of these statuses, severities (and kinds), newest first."""
    query = (select(Alert).where(Alert.status.in_(statuses), Alert.severity.in_(severities))
             .order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit))
    if kinds:
        query = query.where(Alert.kind.in_(kinds))
    return list(session.scalars(query))


def open_counts(session: Session) -> dict[str, int]:
    """Open alerts by severity (what the wall's badge shows)."""
    rows = session.execute(select(Alert.severity, func.count()).where(Alert.status.in_(OPEN_STATUSES))
                           .group_by(Alert.severity))
    return {severity: int(n) for severity, n in rows}


def published(runtime: Runtime, alert: Alert, action: str, screen: str | None = None) -> None:
    """Tell every screen (after the commit): the payload carries what a ticker needs, so no screen queries.

    ``screen`` names the browser tab that acted, so it can skip redrawing for its own echo."""
    runtime.bus.publish(TOPIC, {"id": alert.id, "action": action, "kind": alert.kind, "severity": alert.severity,
                                "status": alert.status, "title": alert.title, "screen": screen,
                                "at": (alert.updated_at or alert.created_at or utcnow()).isoformat()})
