"""Demo data: seeding on SQLite and the real PostgreSQL, consistency of every report's life, the generator, the job."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select

from data import demo
from data.core.db import bulk_insert
from data.core.runtime import Runtime
from data.core.text import fold
from data.demo.seasons import sample_times
from data.geo import boundaries, geometry
from data.models import (
    OPEN_STATUSES,
    AdminUnit,
    Agency,
    Alert,
    Camera,
    Category,
    Indicator,
    IndicatorValue,
    MapFeature,
    Rating,
    Report,
    ReportEvent,
    RoutingRule,
)
from tests.dbfixtures import fresh_pg_database, open_runtime, settings_for

NOW = datetime(2026, 11, 20, 3, 30)  # naive UTC: Friday 10:30 in Huế, in the rainy season
LOCAL = timedelta(hours=7)
OFF = demo.public_holidays(2025, 2027)
DEMO_TABLES = (AdminUnit, Agency, Category, RoutingRule, Report, Camera, MapFeature, Indicator, IndicatorValue, Alert)
OPEN = {s.value for s in OPEN_STATUSES}
DONE = {"resolved", "closed"}
DISMISSED = {"rejected", "duplicate", "not_responsible"}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, dict]]:
    """One database per backend, seeded once with the default 4,000 reports at a fixed ``NOW``.

    The tests share it and only read, except the job test near the end, which adds one report.
    """
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'ioc.sqlite3'}"
        with open_runtime(url) as runtime:
            yield runtime, demo.seed_demo(runtime, settings_for(url, demo=True), now=NOW)
        return
    with fresh_pg_database() as url, open_runtime(url) as runtime:
        yield runtime, demo.seed_demo(runtime, settings_for(url, demo=True), now=NOW)


# --- pure functions -----------------------------------------------------------------------------


def test_working_deadline_skips_weekends_and_tet() -> None:
    friday = datetime(2026, 2, 6, 15, 0)
    assert demo.working_deadline(friday, 1, OFF) == datetime(2026, 2, 9, 15, 0)  # Monday, same hour
    # Tết 2026: Monday 16 to Friday 20 February are holidays, so the next working day is the 23rd.
    assert demo.working_deadline(datetime(2026, 2, 13, 9, 0), 1, OFF) == datetime(2026, 2, 23, 9, 0)
    # 30 April and 1 May are holidays, then a weekend: two working days from Wednesday end on Tuesday.
    assert demo.working_deadline(datetime(2026, 4, 29, 8, 0), 2, OFF) == datetime(2026, 5, 5, 8, 0)


def test_route_prefers_priority_then_specificity_and_wraps_midnight() -> None:
    rules = [
        demo.Rule(category_id=1, agency_id=10),
        demo.Rule(category_id=1, agency_id=20, admin_unit_id=5, priority=50),
        demo.Rule(category_id=1, agency_id=30, hour_from=22, hour_to=5, priority=10),
    ]
    assert demo.route(rules, 1, 7, 12) == 10  # another district: the city agency
    assert demo.route(rules, 1, 5, 12) == 20  # its district's committee
    assert [demo.route(rules, 1, 5, h) for h in (21, 22, 23, 0, 4, 5)] == [20, 30, 30, 30, 30, 20]
    assert demo.route(rules, 2, 5, 12) is None


def _draws(n: int, **values: object) -> demo.Draws:
    base: dict[str, object] = {
        "speed": np.full(n, 0.5),
        "outcome": np.zeros(n, dtype=np.int64),
        "reopen_after": np.full(n, np.nan),
        "close_after": np.full(n, 2 * demo.DAY),
        "rate_after": np.full(n, np.nan),
    }
    return demo.Draws(**(base | values))  # type: ignore[arg-type]


def test_plan_lives_cuts_each_life_at_now() -> None:
    created, allowed = np.zeros(5), np.full(5, 10 * demo.DAY)
    # Resolved at day 5 (half the time allowed), closed two days later, rated an hour after that.
    draws = _draws(5, rate_after=np.full(5, 3600.0))
    expected = [(0.0, "received"), (0.5 * demo.DAY, "verified"), (1 * demo.DAY, "assigned"),
                (3 * demo.DAY, "in_progress"), (6 * demo.DAY, "resolved"), (7.01 * demo.DAY, "closed")]  # fmt: skip
    for now, status in expected:
        lives = demo.plan_lives(created, allowed, now, draws)
        assert lives.statuses()[0] == status, now
    lives = demo.plan_lives(created, allowed, 30 * demo.DAY, draws)
    assert lives.resolved[0] == 5 * demo.DAY and lives.closed[0] == 7 * demo.DAY and not lives.late[0]
    actions = [a for _, a, _ in lives.steps(0)]
    assert actions == ["verified", "assigned", "started", "resolved", "closed", "rated"]


def test_plan_lives_outcomes_reopening_and_lateness() -> None:
    created, allowed, now = np.zeros(4), np.full(4, demo.DAY), 100 * demo.DAY
    draws = _draws(
        4,
        speed=np.array([1.0, 1.0, 2.0, 1.0]),
        outcome=np.array([1, 4, 0, 0]),  # rejected, referred, normal, normal
        reopen_after=np.array([np.nan, np.nan, np.nan, demo.DAY]),
    )
    lives = demo.plan_lives(created, allowed, now, draws)
    assert lives.statuses() == ["rejected", "closed", "closed", "closed"]
    assert lives.closed[0] == pytest.approx(0.12 * demo.DAY) and np.isnan(lives.resolved[0])
    assert [a for _, a, _ in lives.steps(1)][:3] == ["verified", "referred", "assigned"]  # another agency's
    assert lives.late.tolist() == [False, False, True, True]
    assert [a for _, a, _ in lives.steps(3)] == [
        "verified", "assigned", "started", "resolved", "reopened", "started", "resolved", "closed",
    ]  # fmt: skip
    assert lives.resolved[3] == pytest.approx(2.5 * demo.DAY)  # reopened a day after, fixed in half the time
    early = demo.plan_lives(created, allowed, 0.13 * demo.DAY, draws)
    assert early.statuses() == ["rejected", "referred", "verified", "verified"]
    assert np.isnan(early.closed[1])  # a referred report is still open


def test_scores_are_skewed_positive_and_lower_when_late() -> None:
    u = np.random.default_rng(3).random(20_000)
    on_time, late = demo.scores(u, np.zeros(20_000, bool)), demo.scores(u, np.ones(20_000, bool))
    assert set(on_time.tolist()) == set(late.tolist()) == {1, 2, 3, 4, 5}
    assert 4.0 < on_time.mean() < 4.3 and 2.9 < late.mean() < 3.4


def test_small_helpers() -> None:
    assert demo.aqi_from_pm25(12.0) == 50 and demo.aqi_from_pm25(35.4) == 100 and demo.aqi_from_pm25(600) == 500
    assert demo.english_unit_name("Thị xã Hương Thủy") == "Huong Thuy Town"
    assert demo.english_unit_name("Phường Vỹ Dạ") == "Vy Da Ward"
    assert demo.slug("Phường Đúc") == "phuong-duc"
    assert demo.month_starts(date(2026, 2, 14), 3) == [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    assert demo.weather_alert(11, {"rain": {"t": "r"}, "heat": {"t": "h"}, "cold": {"t": "c"}}) == {"t": "r"}


# --- seeding ------------------------------------------------------------------------------------


def test_seed_counts(seeded: tuple[Runtime, dict]) -> None:
    runtime, summary = seeded
    assert summary["reports"] == 4000 and summary["cameras"] == 24 and summary["categories"] == 10
    assert summary["seconds"] < 10
    with runtime.session() as s:

        def count(model: type[Any], *where: Any) -> int:
            return s.scalar(select(func.count()).select_from(model).where(*where)) or 0

        assert count(Report) == 4000 and count(Camera) == 24 and count(Category) == 10
        assert 65 <= count(Agency) <= 75  # Hue-S counts 65–104 agencies
        assert count(AdminUnit, AdminUnit.level == "district") == 10  # Thừa Thiên Huế's 9 and Đông Hà
        assert count(AdminUnit, AdminUnit.level == "province") == 2
        assert count(MapFeature, MapFeature.kind == "wifi") == 27  # Đông Hà's public wifi points
        assert count(MapFeature, MapFeature.layer == "sensor") >= 6
        assert count(Indicator) >= 20 and count(IndicatorValue) > 500
        assert count(ReportEvent) == summary["report_events"] > 4 * 4000
        assert count(Rating) == count(Report, Report.rating.is_not(None)) == summary["ratings"] > 1000
        assert {k for (k,) in s.execute(select(Alert.kind).distinct())} >= {
            "overdue_report",
            "camera_offline",
            "weather",
        }
        population = s.scalar(select(AdminUnit.population).where(AdminUnit.code == "474"))
        assert population == 351456


def test_every_row_is_demo(seeded: tuple[Runtime, dict]) -> None:
    runtime, _ = seeded
    with runtime.session() as s:
        for model in DEMO_TABLES:
            assert s.scalar(select(func.count()).select_from(model).where(model.is_demo.is_(False))) == 0, model


def _reports(runtime: Runtime) -> list[Report]:
    with runtime.session() as s:
        return list(s.scalars(select(Report).order_by(Report.id)))


def test_statuses_agree_with_timestamps(seeded: tuple[Runtime, dict]) -> None:
    runtime, _ = seeded
    reports = _reports(runtime)
    for r in reports:
        assert r.created_at <= r.updated_at <= NOW + timedelta(seconds=1), r.tracking_code
        assert r.expected_at is not None and r.expected_at > r.created_at
        if r.status in DONE:
            assert r.resolved_at is not None and r.created_at <= r.resolved_at <= NOW
            assert r.agency_id is not None and r.result_text
        else:
            assert r.resolved_at is None and r.rating is None and not r.published
        if r.status == "closed" or r.status in DISMISSED:
            assert r.closed_at is not None and r.closed_at >= (r.resolved_at or r.created_at)
        else:
            assert r.closed_at is None
        if r.rating is not None:
            assert r.status == "closed" and 1 <= r.rating <= 5
        if r.status in ("received", "verified"):
            assert r.agency_id is None
    statuses = Counter(r.status for r in reports)
    assert statuses["closed"] > 2500 and statuses["rejected"] > 0 and statuses["duplicate"] > 0
    assert sum(statuses[s] for s in OPEN) > 20
    overdue = [r for r in reports if r.status in OPEN and (r.expected_at or NOW) < NOW]
    assert 0 < len(overdue) < 400
    old = [r for r in reports if r.created_at < NOW - timedelta(days=60)]
    assert sum(r.status in DONE | DISMISSED for r in old) / len(old) > 0.95
    ratings = [r.rating for r in reports if r.rating is not None]
    assert sum(ratings) / len(ratings) > 3.5  # skewed positive
    assert Counter(ratings)[1] > 0


def test_deadlines_count_working_days(seeded: tuple[Runtime, dict]) -> None:
    runtime, _ = seeded
    with runtime.session() as s:
        sla = dict(s.execute(select(Category.id, Category.sla_working_days)).all())
        hours = dict(s.execute(select(Category.id, Category.sla_emergency_hours)).all())
    for r in _reports(runtime):
        assert r.category_id is not None and r.expected_at is not None
        if r.urgency == "emergency":
            assert r.expected_at - r.created_at == timedelta(hours=hours[r.category_id])
            continue
        start, due = r.created_at + LOCAL, r.expected_at + LOCAL
        assert due.time() == start.time() and due.weekday() < 5 and due.date() not in OFF
        working = sum(
            1 for d in range(1, (due.date() - start.date()).days + 1)
            if (day := start.date() + timedelta(days=d)).weekday() < 5 and day not in OFF
        )  # fmt: skip
        assert working == sla[r.category_id], r.tracking_code


def test_histories_are_append_only_and_match_the_report(seeded: tuple[Runtime, dict]) -> None:
    runtime, _ = seeded
    with runtime.session() as s:
        events: dict[int, list[ReportEvent]] = {}
        for e in s.scalars(select(ReportEvent).order_by(ReportEvent.id)):
            events.setdefault(e.report_id, []).append(e)
        ratings = {r.report_id: r.score for r in s.scalars(select(Rating))}
    for r in _reports(runtime):
        history = events[r.id]
        assert (history[0].action, history[0].to_status, history[0].at) == ("created", "received", r.created_at)
        assert history[-1].to_status == r.status and history[-1].at == r.updated_at
        for before, after in itertools.pairwise(history):
            assert before.at <= after.at and after.from_status == before.to_status
        if r.rating is not None:
            assert history[-1].action == "rated" and history[-1].data == {"score": r.rating} == {"score": ratings[r.id]}
        never_assigned = {"received", "verified", "referred"} | DISMISSED  # the IOC decides those itself
        assert any(e.action == "assigned" for e in history) == (r.status not in never_assigned)


def test_texts_locations_and_sealed_fields(seeded: tuple[Runtime, dict]) -> None:
    runtime, _ = seeded
    reports = _reports(runtime)
    phone = re.compile(r"0\d{9}")
    for r in reports:
        assert re.fullmatch(r"HUE-20\d\d-\d{6}", r.tracking_code)
        assert r.search_text == fold(f"{r.title} {r.description}")
        if r.published:
            sealed = [v for v in (r.reporter_name, r.reporter_phone, r.reporter_email) if v]
            for text in (r.title, r.description, r.result_text):
                assert text and not phone.search(text) and not any(v in text for v in sealed)
        if r.reporter_phone is not None:
            assert re.fullmatch(r"09\d{8}", r.reporter_phone) and r.reporter_name
    assert len({r.tracking_code for r in reports}) == 4000
    assert sum(r.published for r in reports) > 3000
    with runtime.session() as s:
        shapes = boundaries.unit_shapes(s, "district")
    located = sum(geometry.locate(r.lat or 0, r.lon or 0, shapes) == r.admin_unit_id for r in reports)
    assert located / len(reports) > 0.99  # points are drawn inside their district, then moved a few metres


def test_patterns_of_time_channel_and_season(seeded: tuple[Runtime, dict]) -> None:
    runtime, _ = seeded
    with runtime.session() as s:
        drainage = s.scalar(select(Category.id).where(Category.code == "ha-tang-do-thi"))
    reports = _reports(runtime)
    local = [r.created_at + LOCAL for r in reports]
    hours = Counter(t.hour for t in local)
    assert sum(hours[h] for h in (8, 9, 10)) > 5 * sum(hours[h] for h in (1, 2, 3))
    weekdays = Counter(t.weekday() for t in local)
    assert weekdays[0] > weekdays[6]
    channels = Counter(r.channel for r in reports)
    assert 0.5 < channels["app"] / 4000 < 0.75 and set(channels) == {
        "app",
        "web",
        "zalo",
        "facebook",
        "email",
        "hotline",
    }

    def drainage_share(months: set[int]) -> float:
        chosen = [r for r, t in zip(reports, local, strict=True) if t.month in months]
        return sum(r.category_id == drainage for r in chosen) / len(chosen)

    assert drainage_share({10, 11, 12}) > 1.5 * drainage_share({3, 4, 5})
    in_core = sum(r.address is not None and "Thành phố Huế" in r.address for r in reports)
    assert 0.6 < in_core / 4000 < 0.85


def test_cameras_kpis_and_alerts(seeded: tuple[Runtime, dict]) -> None:
    runtime, _ = seeded
    with runtime.session() as s:
        cameras = list(s.scalars(select(Camera).order_by(Camera.id)))
        assert [c.stream_url for c in cameras[:4]] == ["demo:street", "demo:pattern", "demo:street", "demo:pattern"]
        assert all(c.sub_stream_url is None and c.admin_unit_id is not None for c in cameras)
        assert cameras[0].name == "Ngã tư Lê Lợi – Hùng Vương"
        assert {"Giao thông", "Du lịch", "Trật tự đô thị"} <= {c.group_name for c in cameras}
        received = s.scalar(select(Indicator.id).where(Indicator.code == "reports_received"))
        city_total = s.scalar(
            select(func.sum(IndicatorValue.value)).where(
                IndicatorValue.indicator_id == received, IndicatorValue.admin_unit_id.is_(None)
            )
        )
        assert city_total == 4000  # the same figures as kpi.compute_reports would write
        themes = set(s.scalars(select(Indicator.theme)))
        assert themes == {"economy", "budget", "public_services", "citizen_reports", "education", "health",
                          "tourism", "environment", "security", "population"}  # fmt: skip
        overdue = list(s.scalars(select(Alert).where(Alert.kind == "overdue_report")))
        for alert in overdue:
            report = s.scalar(select(Report).where(Report.tracking_code == alert.source_ref))
            assert report is not None and report.status in OPEN and (report.expected_at or NOW) < NOW
            assert report.expected_at is not None
            assert alert.message == f"Hạn xử lý: {report.expected_at + timedelta(hours=7):%d/%m/%Y %H:%M}"  # Huế
        assert overdue
        assert all(NOW - timedelta(days=3) <= a.created_at <= NOW for a in s.scalars(select(Alert)))


def test_seeding_twice_changes_nothing(seeded: tuple[Runtime, dict]) -> None:
    runtime, _ = seeded
    with runtime.session() as s:
        before = [s.scalar(select(func.count()).select_from(m)) for m in DEMO_TABLES]
    assert demo.seed_demo(runtime, settings_for("sqlite://", demo=True), now=NOW) == {}
    with runtime.session() as s:
        assert [s.scalar(select(func.count()).select_from(m)) for m in DEMO_TABLES] == before


def test_demo_off_seeds_nothing(sqlite_runtime: Runtime) -> None:
    assert demo.seed_demo(sqlite_runtime, settings_for("sqlite://", demo=False)) == {}
    with sqlite_runtime.session() as s:
        assert s.scalar(select(func.count(Agency.id))) == 0


def test_seed_into_a_callers_session_and_small_settings(sqlite_runtime: Runtime) -> None:
    settings = settings_for("sqlite://", demo=True, demo_reports=50, demo_cameras=40)
    with sqlite_runtime.session() as s:
        summary = demo.seed_demo(s, settings, now=NOW)
    assert summary["reports"] == 50 and summary["cameras"] == 40
    with sqlite_runtime.session() as s:
        names = list(s.scalars(select(Camera.name).order_by(Camera.id)))
        assert len(set(names)) == 40 and names[-1].startswith("Điểm giám sát ")


def test_seed_with_zero_reports_then_the_benchmarks_own(runtime: Runtime) -> None:
    """The benchmark's path: the catalogue without reports, then generated reports through ``bulk_insert``."""
    summary = demo.seed_demo(runtime, settings_for("sqlite://", demo=True, demo_reports=0), now=NOW)
    assert summary["reports"] == summary["report_events"] == summary["ratings"] == 0
    assert summary["categories"] == 10 and summary["cameras"] == 24 and summary["indicator_values"] > 500
    with runtime.session() as s:
        assert s.scalar(select(func.count(Report.id))) == 0
        ctx = demo.load_report_context(s)
        assert list(demo.generate_reports(0, ctx, now=NOW)) == []
        for rows in demo.generate_reports(300, ctx, now=NOW, seed=2, chunk_size=200):
            bulk_insert(s, Report, rows)
    with runtime.session() as s:
        assert s.scalar(select(func.count(Report.id))) == 300
    assert sample_times(0, NOW, NOW + timedelta(days=2), OFF, np.random.default_rng(1)).shape == (0,)


# --- the generator and the live job --------------------------------------------------------------


def test_generate_reports_rows_fit_the_table(seeded: tuple[Runtime, dict]) -> None:
    runtime, _ = seeded
    with runtime.session() as s:
        ctx = demo.load_report_context(s)
    columns = {c.name for c in Report.__table__.columns} - {"id", "change_stamp"}  # the database stamps
    chunks = list(demo.generate_reports(25_000, ctx, now=NOW, seed=5, chunk_size=10_000, first_seq={2026: 9000}))
    assert [len(c) for c in chunks] == [10_000, 10_000, 5_000]
    rows = [r for c in chunks for r in c]
    assert all(set(r) == columns for r in rows)
    created = [r["created_at"] for r in rows]
    assert created == sorted(created) and NOW - timedelta(days=366) < created[0] and created[-1] <= NOW
    codes = [r["tracking_code"] for r in rows if r["tracking_code"].startswith("HUE-2026-")]
    assert codes[0] == "HUE-2026-009001" and len(set(codes)) == len(codes)
    assert {r["status"] for r in rows} <= {s.value for s in demo.ReportStatus}
    again = [r["tracking_code"] for c in demo.generate_reports(100, ctx, now=NOW, seed=5) for r in c]
    assert again == [r["tracking_code"] for c in demo.generate_reports(100, ctx, now=NOW, seed=5) for r in c]


def test_new_report_job_inserts_and_announces(seeded: tuple[Runtime, dict]) -> None:
    runtime, _ = seeded
    with runtime.session() as s:
        last = s.scalar(select(func.max(Report.tracking_code)).where(Report.tracking_code.like("HUE-2026-%")))
    subscription = runtime.bus.subscribe("reports")
    try:
        report_id = demo.new_report(runtime)
        message = subscription.get(1.0)
    finally:
        subscription.close()
    assert report_id is not None and message is not None and last is not None
    with runtime.session() as s:
        report = s.get(Report, report_id)
        assert report is not None and report.status == "received" and report.is_demo
        # Through the real intake path: a random code (not the seed's sequence), the intake's first event.
        assert re.fullmatch(r"HUE-20\d\d-[2-9A-HJKMNP-Z]{7}", report.tracking_code) and report.tracking_code != last
        history = list(s.scalars(select(ReportEvent).where(ReportEvent.report_id == report_id)))
        assert history[0].action == "created" and history[0].data == {"channel": report.channel, "files": 0}
        assert report.category_id is not None and report.admin_unit_id is not None
    assert message == {"topic": "reports", "id": report_id, "tracking_code": report.tracking_code,
                       "channel": report.channel, "lat": report.lat, "lon": report.lon}  # fmt: skip


def test_new_report_job_waits_for_a_demo_catalogue(sqlite_runtime: Runtime) -> None:
    assert demo.new_report(sqlite_runtime) is None


def test_shipped_district_file_and_attribution() -> None:
    shipped = demo.DEMO_DATA / "hue_districts_dvhcvn.geojson"
    fields = boundaries.FieldMap(code="level2_id", name="name")
    parsed = boundaries.parse_units(boundaries.read_collection(shipped), fields)
    assert len(parsed.units) == 10 and parsed.problems == []
    for name in ("LICENSE_dvhcvn_GPL-3.0.txt", "ATTRIBUTION.md"):
        assert (demo.DEMO_DATA / name).is_file()
    assert not list(Path(demo.DEMO_DATA).glob("*TEST_ONLY*"))
