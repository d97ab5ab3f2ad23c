"""KPI status and report statistics as pure functions of plain data (no database here)."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class KpiStatus(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    GREY = "grey"  # no data in this period: never show a stale number as if it were current


def kpi_status(
    value: float | None,
    *,
    direction: str,
    target: float | None,
    amber: float | None = None,
    red: float | None = None,
) -> KpiStatus:
    """Colour of a KPI value: green at or beyond target, amber up to the amber threshold, red past it.

    ``direction`` is ``"up"`` when higher is better, ``"down"`` when lower is. Thresholds are
    absolute values on the same scale as ``value``; without them amber is within 10 % of target.
    """
    if value is None:
        return KpiStatus.GREY
    if target is None:
        return KpiStatus.GREEN
    sign = 1.0 if direction == "up" else -1.0
    if sign * (value - target) >= 0:
        return KpiStatus.GREEN
    if amber is None:
        amber = target * (0.9 if direction == "up" else 1.1)
    if red is not None and sign * (value - red) <= 0:
        return KpiStatus.RED
    return KpiStatus.AMBER if sign * (value - amber) >= 0 else KpiStatus.RED


def period_of(day: date, frequency: str) -> tuple[str, date]:
    """The period label and first day of the period that contains ``day``."""
    if frequency == "year":
        return f"{day.year}", date(day.year, 1, 1)
    if frequency == "quarter":
        q = (day.month - 1) // 3 + 1
        return f"{day.year}-Q{q}", date(day.year, 3 * q - 2, 1)
    if frequency == "month":
        return f"{day.year}-{day.month:02d}", date(day.year, day.month, 1)
    return day.isoformat(), day


@dataclass(frozen=True)
class ReportFacts:
    """What KPI arithmetic needs to know of one report."""

    created_at: datetime
    resolved_at: datetime | None
    expected_at: datetime | None
    rating: int | None


@dataclass(frozen=True)
class ReportStats:
    received: int
    resolved: int
    on_time_pct: float | None
    median_hours_to_resolve: float | None
    satisfaction_pct: float | None


def report_stats(reports: Iterable[ReportFacts]) -> ReportStats:
    """Counts, on-time share, median time to resolve and share of ratings ≥ 4 of some reports."""
    items = list(reports)
    resolved = [r for r in items if r.resolved_at is not None]
    with_deadline = [(r.resolved_at, r.expected_at) for r in items
                     if r.resolved_at is not None and r.expected_at is not None]
    on_time = sum(1 for done, due in with_deadline if done <= due)
    hours = [(r.resolved_at - r.created_at).total_seconds() / 3600 for r in items if r.resolved_at]
    rated = [r.rating for r in items if r.rating is not None]
    return ReportStats(
        received=len(items),
        resolved=len(resolved),
        on_time_pct=round(100 * on_time / len(with_deadline), 1) if with_deadline else None,
        median_hours_to_resolve=round(statistics.median(hours), 1) if hours else None,
        satisfaction_pct=round(100 * sum(1 for s in rated if s >= 4) / len(rated), 1) if rated else None,
    )
