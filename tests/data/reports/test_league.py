"""The agencies' league table: minimum volume, shrinkage toward the city's rates, and its SQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from data.core.runtime import Runtime
from data.models import Agency, Report
from data.reports.league import AgencyRecord, agency_records, league_table, shrink


def record(agency_id: int, resolved: int, on_time: int, reopened: int = 0, ratings: tuple[int, ...] = (),
           median: float | None = 48.0) -> AgencyRecord:
    return AgencyRecord(agency_id, f"Agency {agency_id}", resolved + 2, resolved, on_time, reopened,
                        float(sum(ratings)), len(ratings), median)


def test_shrink_pulls_small_samples_toward_the_prior() -> None:
    assert shrink(1, 1, 0.5, 20) == pytest.approx(11 / 21)
    assert shrink(900, 1000, 0.5, 20) == pytest.approx(910 / 1020)
    assert shrink(0, 0, 0.7, 20) == pytest.approx(0.7)
    assert shrink(0, 0, 0.7, 0) is None


def test_one_lucky_fix_does_not_top_the_table() -> None:
    lucky = record(1, resolved=1, on_time=1, ratings=(5,), median=2.0)
    steady = record(2, resolved=400, on_time=360, ratings=(5, 4, 4, 5) * 50, median=30.0)
    slow = record(3, resolved=300, on_time=150, reopened=60, ratings=(2, 3) * 50, median=120.0)
    rows = league_table([lucky, steady, slow], city_median_hours=48.0, min_reports=20)
    assert [r.agency_id for r in rows] == [2, 3, 1]
    assert [r.rank for r in rows] == [1, 2, None]  # the lucky one is listed, not ranked
    city_on_time = (1 + 360 + 150) / 701
    assert rows[0].on_time_pct == pytest.approx(100 * (20 * city_on_time + 360) / 420, abs=0.05)
    assert rows[2].on_time_pct == pytest.approx(100 * (20 * city_on_time + 1) / 21, abs=0.05)
    assert rows[1].reopen_pct == pytest.approx(100 * (20 * (60 / 701) + 60) / 320, abs=0.05)


def test_satisfaction_is_the_mean_rating_on_0_to_100() -> None:
    only = record(1, resolved=50, on_time=50, ratings=(5,) * 40)
    rows = league_table([only], city_median_hours=10.0, min_reports=20, prior_weight=0)
    assert rows[0].satisfaction_pct == 100.0
    assert rows[0].median_hours == 48.0


def test_agency_records_count_the_window(runtime: Runtime) -> None:
    start = datetime(2026, 3, 2, 8, 0)
    with runtime.session() as session:
        agency = Agency(code="A1", name="Phường Phú Hội")
        session.add(agency)
        session.flush()
        specs = [  # hours to resolve, deadline hours, rating, reopened
            (10, 24, 5, 0), (30, 24, 3, 1), (50, 72, None, 0), (None, 24, None, 0),
        ]
        for i, (hours, deadline, rating, reopened) in enumerate(specs):
            created = start + timedelta(days=i)
            session.add(Report(
                tracking_code=f"T-{i}", channel="web", description="x", agency_id=agency.id, created_at=created,
                expected_at=created + timedelta(hours=deadline), rating=rating, reopen_count=reopened,
                resolved_at=created + timedelta(hours=hours) if hours is not None else None,
            ))
        session.add(Report(tracking_code="T-old", channel="web", description="x", agency_id=agency.id,
                           created_at=start - timedelta(days=400), resolved_at=start))
    with runtime.session() as session:
        records, city = agency_records(session, start - timedelta(days=1), start + timedelta(days=30))
    assert len(records) == 1
    r = records[0]
    assert (r.received, r.resolved, r.on_time, r.reopened, r.rating_count, r.rating_sum) == (4, 3, 2, 1, 2, 8.0)
    assert r.median_hours == pytest.approx(30.0)
    assert city == pytest.approx(30.0)
