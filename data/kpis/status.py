"""KPI status and report statistics as pure functions of plain data (no database here)."""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any


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
    agency_id: int | None = None
    admin_unit_id: int | None = None


@dataclass(frozen=True)
class ReportStats:
    received: int
    resolved: int
    on_time_pct: float | None
    median_hours_to_resolve: float | None
    satisfaction_pct: float | None
    overdue: int = 0  # open reports past their deadline (see report_stats_by_scope)


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


# --- periods: previous, same period last year, the current one -----------------------------------

_MONTHS_PER = {"month": 1, "quarter": 3, "year": 12}


def shift_period(start: date, frequency: str, periods: int) -> date:
    """First day of the period ``periods`` periods after (negative: before) the one holding ``start``."""
    first = period_of(start, frequency)[1]
    if frequency not in _MONTHS_PER:  # day
        return first + timedelta(days=periods)
    index = first.year * 12 + first.month - 1 + _MONTHS_PER[frequency] * periods
    return date(index // 12, index % 12 + 1, 1)


def same_period_last_year(start: date, frequency: str) -> date:
    """First day of the same period one year earlier (29 February compares with 28 February)."""
    first = period_of(start, frequency)[1]
    if frequency in _MONTHS_PER:
        return first.replace(year=first.year - 1)
    if (first.month, first.day) == (2, 29):
        return date(first.year - 1, 2, 28)
    return first.replace(year=first.year - 1)


def current_period_start(today: date, frequency: str, grace: int = 1) -> date:
    """The oldest period whose value still counts as current on ``today``.

    Official figures arrive after their period ends (a month's statistics two weeks into the next
    month), so the last ``grace`` complete periods count as current too; anything older is stale.
    """
    return shift_period(today, frequency, -grace)


def is_current(period_start: date, frequency: str, today: date, grace: int = 1) -> bool:
    """True when a value for the period starting ``period_start`` is current on ``today``."""
    return period_start >= current_period_start(today, frequency, grace)


# --- change between two values -------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    """How a value moved against a base: absolute, relative (None when the base is 0), good or not."""

    delta: float
    pct: float | None
    better: bool | None  # None: unchanged


def change(value: float | None, base: float | None, direction: str) -> Change | None:
    """The change from ``base`` to ``value``; a fall is ``better`` for a ``down`` indicator."""
    if value is None or base is None:
        return None
    delta = value - base
    pct = round(100 * delta / abs(base), 1) if base else None
    better = None if delta == 0 else (delta > 0) == (direction == "up")
    return Change(delta=round(delta, 6), pct=pct, better=better)


# --- freshness -----------------------------------------------------------------------------------

_AGE_UNITS = (  # seconds per unit, Vietnamese, English
    (365 * 86400, "năm", "year"),
    (30 * 86400, "tháng", "month"),
    (86400, "ngày", "day"),
    (3600, "giờ", "hour"),
    (60, "phút", "minute"),
)


def freshness_text(received_at: datetime, now: datetime, lang: str = "vi") -> str:
    """How long ago a value arrived, in words: "cập nhật 3 giờ trước" / "updated 3 hours ago"."""
    seconds = max(0.0, (now - received_at).total_seconds())
    for size, vi, en in _AGE_UNITS:
        count = int(seconds // size)
        if count >= 1:
            if lang == "en":
                return f"updated {count} {en}{'' if count == 1 else 's'} ago"
            return f"cập nhật {count} {vi} trước"
    return "updated just now" if lang == "en" else "vừa cập nhật"


# --- report KPIs by city, agency and unit ----------------------------------------------------------

Scope = tuple[str, int | None]  # ("city", None), ("agency", agency id) or ("unit", admin unit id)
CITY: Scope = ("city", None)


def _scopes(fact: ReportFacts) -> list[Scope]:
    scopes = [CITY]
    if fact.agency_id is not None:
        scopes.append(("agency", fact.agency_id))
    if fact.admin_unit_id is not None:
        scopes.append(("unit", fact.admin_unit_id))
    return scopes


def report_stats_by_scope(
    period_reports: Iterable[ReportFacts], open_reports: Iterable[ReportFacts], now: datetime
) -> dict[Scope, ReportStats]:
    """``report_stats`` for the city and for each agency and unit that has reports.

    ``period_reports`` are the reports received in the period; ``open_reports`` are all reports open
    now, whenever received: a leader asks how many are overdue *now*, not how many of this month's.
    """
    groups: dict[Scope, list[ReportFacts]] = defaultdict(list)
    for fact in period_reports:
        for scope in _scopes(fact):
            groups[scope].append(fact)
    overdue = Counter(scope for fact in open_reports if fact.expected_at is not None and fact.expected_at < now
                      for scope in _scopes(fact))
    return {scope: replace(report_stats(groups.get(scope, [])), overdue=overdue[scope])
            for scope in {CITY} | groups.keys() | overdue.keys()}


def camera_availability(cameras: Iterable[tuple[int | None, bool | None]]) -> dict[Scope, float]:
    """Share (%) of cameras online, city-wide and per unit, from (admin unit id, online) pairs.

    ``online`` is None when the camera's state is unknown (no fresh status): it is left out rather
    than counted as down, so a stopped gateway does not read as every camera failing.
    """
    known: Counter[Scope] = Counter()
    online: Counter[Scope] = Counter()
    for unit_id, is_online in cameras:
        if is_online is None:
            continue
        scopes = [CITY] if unit_id is None else [CITY, ("unit", unit_id)]
        for scope in scopes:
            known[scope] += 1
            online[scope] += int(is_online)
    return {scope: round(100 * online[scope] / n, 1) for scope, n in known.items()}


# --- KPI cards -------------------------------------------------------------------------------------

# How many periods a card's sparkline shows: at least the same period last year, except for days.
SPARK_POINTS = {"day": 30, "month": 13, "quarter": 8, "year": 6}


@dataclass(frozen=True)
class KpiSpec:
    """What a card needs to know of an indicator (a plain copy of the catalogue row)."""

    code: str
    name: str
    name_en: str
    theme: str
    unit: str
    frequency: str
    direction: str
    target: float | None = None
    amber: float | None = None
    red: float | None = None

    def status(self, value: float | None, target: float | None = None) -> KpiStatus:
        """The status of ``value`` against ``target`` (else the catalogue's target)."""
        return kpi_status(value, direction=self.direction, target=self.target if target is None else target,
                          amber=self.amber, red=self.red)


@dataclass(frozen=True)
class KpiPoint:
    """One value of an indicator for one period."""

    period: str
    start: date
    value: float
    target: float | None = None
    received_at: datetime | None = None


@dataclass(frozen=True)
class KpiCard:
    """What a card shows: the indicator, its current value and status, changes, recent values."""

    spec: KpiSpec
    period: str | None  # the current period's label; None when there is no current value
    value: float | None
    target: float | None
    status: KpiStatus
    received_at: datetime | None
    vs_previous: Change | None = None
    vs_last_year: Change | None = None
    spark: tuple[float, ...] = ()
    stale_period: str | None = None  # the newest period with a value, when it is too old to count


def history_start(today: date, frequency: str, grace: int = 1) -> date:
    """The oldest period a card needs: its sparkline and the same period last year."""
    current = current_period_start(today, frequency, grace)
    return min(shift_period(current, frequency, 1 - SPARK_POINTS.get(frequency, 30)),
               same_period_last_year(current, frequency))


def build_card(spec: KpiSpec, points: Iterable[KpiPoint], today: date, grace: int = 1) -> KpiCard:
    """A card from an indicator's recent city-wide values: grey when none is current."""
    series = sorted(points, key=lambda p: p.start)
    by_start = {p.start: p for p in series}
    newest = series[-1] if series else None
    current = newest if newest is not None and is_current(newest.start, spec.frequency, today, grace) else None
    target = current.target if current is not None and current.target is not None else spec.target
    value = current.value if current is not None else None
    previous = last_year = None
    if current is not None:
        previous = by_start.get(shift_period(current.start, spec.frequency, -1))
        last_year = by_start.get(same_period_last_year(current.start, spec.frequency))
    return KpiCard(
        spec=spec, period=current.period if current is not None else None, value=value, target=target,
        status=spec.status(value, target), received_at=current.received_at if current is not None else None,
        vs_previous=change(value, previous.value if previous else None, spec.direction),
        vs_last_year=change(value, last_year.value if last_year else None, spec.direction),
        spark=tuple(p.value for p in series[-SPARK_POINTS.get(spec.frequency, 30):]),
        stale_period=newest.period if newest is not None and current is None else None,
    )


def order_by_theme(cards: Iterable[KpiCard], themes: Iterable[str]) -> list[KpiCard]:
    """Cards in the configured theme order (themes not listed last, by name), keeping order within one."""
    rank = {theme: i for i, theme in enumerate(themes)}
    return sorted(cards, key=lambda c: (rank.get(c.spec.theme, len(rank)),
                                        "" if c.spec.theme in rank else c.spec.theme))


def alert_severity(status: KpiStatus, on_amber: bool = False) -> str | None:
    """The severity of the alert a status raises: critical for red, warning for amber if wanted."""
    if status == KpiStatus.RED:
        return "critical"
    if status == KpiStatus.AMBER and on_amber:
        return "warning"
    return None


def ranked(values: Iterable[tuple[str | None, float]], direction: str) -> list[tuple[str | None, float]]:
    """Places ranked best first: highest first for an ``up`` indicator, lowest first for ``down``."""
    return sorted(values, key=lambda pv: (-pv[1] if direction == "up" else pv[1], pv[0] or ""))


def plan_revision(existing: dict[Any, tuple[int, float]], computed: dict[Any, float]
                  ) -> tuple[list[int], list[int], dict[Any, float]]:
    """What a recomputation writes: (ids of rows left as they are, ids to mark superseded, new values).

    ``existing`` maps a key (indicator, scope) to the current row's id and value. An unchanged value
    keeps its row, so recomputing every few minutes does not pile up revisions; a key no longer
    computed loses its row (superseded) without a replacement.
    """
    kept = {key for key, (_, value) in existing.items() if computed.get(key) == value}
    keep = [existing[key][0] for key in kept]
    supersede = [row_id for key, (row_id, _) in existing.items() if key not in kept]
    return keep, supersede, {key: value for key, value in computed.items() if key not in kept}


def series_csv(spec: KpiSpec, points: Iterable[KpiPoint], tz: tzinfo) -> str:
    """An indicator's series as CSV (one row a period, oldest first), for spreadsheets; ``received_at`` in
    ``tz`` (the city's), with its offset."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "period", "period_start", "value", "unit", "target", "status", "received_at"])
    for p in sorted(points, key=lambda p: p.start):
        target = p.target if p.target is not None else spec.target
        writer.writerow([spec.code, p.period, p.start.isoformat(), p.value, spec.unit,
                         "" if target is None else target, spec.status(p.value, target).value,
                         p.received_at.replace(tzinfo=UTC).astimezone(tz).isoformat(timespec="seconds")
                         if p.received_at else ""])
    return out.getvalue()
