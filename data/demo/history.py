"""A report's history as event rows (who did what, when, with which note) and the rating it ended with."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from data.demo.context import ReportContext
from data.demo.lifecycle import OUTCOME_ACTION, RECEIVED


def report_events(
    ctx: ReportContext,
    row: dict[str, Any],
    steps: Sequence[tuple[int, str, str]],
    stage_times: Sequence[Any],
    handler: int | None,
    comment: float,
) -> list[dict[str, Any]]:
    """The events of one report: received, then one per stage it passed (see ``Lives.steps``)."""
    events = [event_row(ctx, row, row["created_at"], "created", None, RECEIVED, handler, comment)]
    for stage, action, status in steps:
        previous = events[-1]["to_status"]
        events.append(event_row(ctx, row, stage_times[stage], action, previous, status, handler, comment))
    return events


def rating_row(row: dict[str, Any], events: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The rating of a rated report: its score, and the remark and time of its last event."""
    return {"score": row["rating"], "comment": events[-1]["note"], "at": events[-1]["at"]}


def event_row(
    ctx: ReportContext,
    row: dict[str, Any],
    at: datetime,
    action: str,
    previous: str | None,
    status: str,
    handler: int | None,
    comment: float,
) -> dict[str, Any]:
    """One event of a report's history, ready for ``bulk_insert`` once its ``report_id`` is known."""
    agency, note, data = step_detail(ctx, row, action, handler, comment)
    return {
        "at": at,
        "user_id": None,
        "action": action,
        "from_status": previous,
        "to_status": status,
        "agency_id": agency,
        "note": note,
        "data": data,
    }


def step_detail(
    ctx: ReportContext, row: dict[str, Any], action: str, handler: int | None, comment: float
) -> tuple[int | None, str | None, dict[str, Any] | None]:
    """The agency, note and data of one step: who acted and what the public history says."""
    if action == "created":
        channel = ctx.texts["channel_labels"].get(row["channel"], row["channel"])
        return None, f"Tiếp nhận qua {channel}.", None
    if action == "assigned":
        return handler, f"Chuyển {ctx.agency_names.get(handler or 0, 'đơn vị')} xử lý.", None
    if action == "started":
        return handler, ctx.texts["step_notes"][action], None
    if action == "resolved":
        return handler, row["result_text"], None
    if action == "referred":
        name = ctx.agency_names.get(handler or 0, "cơ quan có thẩm quyền")
        return handler, ctx.texts["referred"].format(agency=name), None
    if action in OUTCOME_ACTION.values():
        return ctx.ioc_agency_id, ctx.texts[action], None
    if action == "rated":
        remark = ctx.texts["rating_comments"][row["rating"] - 1] if comment < 0.5 else None
        return None, remark, {"score": row["rating"]}
    return None, ctx.texts["step_notes"].get(action), None
