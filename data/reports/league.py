"""The agencies' league table on the public page, made fair.

A raw ranking rewards luck: an agency that resolved one report on time tops the list at 100 %. Two
rules keep it honest (as FixMyStreet-style tables and empirical-Bayes rankings do):

* **minimum volume**: an agency with fewer than ``min_reports`` resolved reports in the period is
  listed apart, "chưa đủ dữ liệu", and not ranked;
* **shrinkage toward the mean**: each rate is pulled toward the city-wide rate with the weight of
  ``prior_weight`` pseudo-reports: ``(k·city + n·agency) / (k + n)``. With 10 reports an agency's
  own record counts for a third (k = 20); with 1,000 it is nearly all its own.

The score ranks on what citizens feel: on time (40 %), satisfaction (30 %), not reopened (20 %) and
speed relative to the city's median time (10 %). The figures shown are the shrunk ones, with the raw
counts beside them, so anyone can check.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from data.models import Agency, Report

WEIGHTS = {"on_time": 0.4, "satisfaction": 0.3, "not_reopened": 0.2, "speed": 0.1}


@dataclass(frozen=True)
class AgencyRecord:
    """One agency's raw counts over the period (resolved reports only, except ``received``)."""

    agency_id: int
    name: str
    received: int
    resolved: int
    on_time: int
    reopened: int
    rating_sum: float
    rating_count: int
    median_hours: float | None = None  # median time to resolve


@dataclass(frozen=True)
class LeagueRow:
    agency_id: int
    name: str
    received: int
    resolved: int
    on_time_pct: float | None  # shrunk, 0–100
    satisfaction_pct: float | None  # shrunk mean rating on a 0–100 scale: (mean − 1) / 4
    reopen_pct: float | None  # shrunk, 0–100
    median_hours: float | None  # the agency's own median time to resolve
    score: float | None
    rank: int | None  # None: not enough reports to be ranked


def shrink(successes: float, trials: float, prior_rate: float, prior_weight: float) -> float | None:
    """The rate pulled toward ``prior_rate`` by ``prior_weight`` pseudo-trials (None without any data)."""
    if trials + prior_weight <= 0:
        return None
    return (prior_weight * prior_rate + successes) / (prior_weight + trials)


def _rate(num: float, den: float) -> float:
    return num / den if den else 0.0


def league_table(records: Iterable[AgencyRecord], city_median_hours: float | None, min_reports: int = 20,
                 prior_weight: float = 20.0) -> list[LeagueRow]:
    """Rank agencies fairly: eligible ones by score, best first; then the rest, by volume."""
    records = list(records)
    total_resolved = sum(r.resolved for r in records)
    city_on_time = _rate(sum(r.on_time for r in records), total_resolved)
    city_reopen = _rate(sum(r.reopened for r in records), total_resolved)
    ratings = sum(r.rating_count for r in records)
    # Ratings are 1–5; as a 0–1 satisfaction: (mean − 1) / 4.
    city_satisfaction = _rate(sum(r.rating_sum for r in records) - ratings, 4 * ratings) if ratings else 0.0
    city_median = city_median_hours

    rows: list[LeagueRow] = []
    for r in records:
        eligible = r.resolved >= min_reports
        on_time = shrink(r.on_time, r.resolved, city_on_time, prior_weight)
        reopen = shrink(r.reopened, r.resolved, city_reopen, prior_weight)
        satisfaction = shrink((r.rating_sum - r.rating_count) / 4, r.rating_count, city_satisfaction, prior_weight)
        median = r.median_hours
        score = None
        if eligible and on_time is not None and reopen is not None and satisfaction is not None:
            # Speed: 1 at or under half the city's median, 0 at twice it or more (log-free, bounded).
            speed = 0.5
            if median is not None and city_median:
                speed = min(1.0, max(0.0, (2 * city_median - median) / (1.5 * city_median)))
            score = (WEIGHTS["on_time"] * on_time + WEIGHTS["satisfaction"] * satisfaction
                     + WEIGHTS["not_reopened"] * (1 - reopen) + WEIGHTS["speed"] * speed)
        rows.append(LeagueRow(
            r.agency_id, r.name, r.received, r.resolved,
            _pct(on_time if r.resolved else None), _pct(satisfaction if r.rating_count else None),
            _pct(reopen if r.resolved else None), round(median, 1) if median is not None else None,
            round(score * 100, 1) if score is not None else None, None,
        ))
    ranked = sorted((x for x in rows if x.score is not None), key=lambda x: (-(x.score or 0), -x.resolved, x.name))
    rest = sorted((x for x in rows if x.score is None), key=lambda x: (-x.resolved, x.name))
    return [_with_rank(x, i + 1) for i, x in enumerate(ranked)] + rest


def _pct(value: float | None) -> float | None:
    return round(100 * value, 1) if value is not None else None


def _with_rank(row: LeagueRow, rank: int) -> LeagueRow:
    return LeagueRow(**{**row.__dict__, "rank": rank})


def agency_records(session: Session, since: datetime, until: datetime) -> tuple[list[AgencyRecord], float | None]:
    """Raw counts per agency for reports received in [since, until), and the city's median hours."""
    window = (Report.created_at >= since, Report.created_at < until, Report.duplicate_of_id.is_(None))
    resolved = Report.resolved_at.is_not(None)
    rows = session.execute(
        select(
            Report.agency_id, Agency.name,
            func.count().label("received"),
            func.sum(case((resolved, 1), else_=0)).label("resolved"),
            func.sum(case((and_(resolved, Report.expected_at.is_not(None),
                                Report.resolved_at <= Report.expected_at), 1), else_=0)).label("on_time"),
            func.sum(case((and_(resolved, Report.reopen_count > 0), 1), else_=0)).label("reopened"),
            func.coalesce(func.sum(Report.rating), 0).label("rating_sum"),
            func.count(Report.rating).label("rating_count"),
        )
        .join(Agency, Agency.id == Report.agency_id)
        .where(*window)
        .group_by(Report.agency_id, Agency.name)
    ).all()
    medians, city = _median_hours(session, window)
    records = [
        AgencyRecord(r.agency_id, r.name, int(r.received), int(r.resolved or 0), int(r.on_time or 0),
                     int(r.reopened or 0), float(r.rating_sum or 0), int(r.rating_count), medians.get(r.agency_id))
        for r in rows
    ]
    return records, city


def _median_hours(session: Session, window: tuple[Any, ...]) -> tuple[dict[int, float], float | None]:
    """Median time to resolve per agency and city-wide: in SQL on PostgreSQL, in Python on SQLite."""
    done = (*window, Report.resolved_at.is_not(None), Report.agency_id.is_not(None))
    if session.get_bind().dialect.name == "postgresql":
        hours = func.extract("epoch", Report.resolved_at - Report.created_at) / 3600
        median = func.percentile_cont(0.5).within_group(hours)
        per = {a: float(m) for a, m in session.execute(select(Report.agency_id, median).where(*done)
                                                          .group_by(Report.agency_id))}
        city = session.scalar(select(median).where(*done))
        return per, float(city) if city is not None else None
    values: dict[int, list[float]] = {}
    for agency_id, created, resolved_at in session.execute(
        select(Report.agency_id, Report.created_at, Report.resolved_at).where(*done)
    ):
        if resolved_at is not None and agency_id is not None:
            values.setdefault(agency_id, []).append((resolved_at - created).total_seconds() / 3600)
    everything = [h for hs in values.values() for h in hs]
    return ({a: statistics.median(hs) for a, hs in values.items()},
            statistics.median(everything) if everything else None)
