"""The map's in-process copy of the reports (data/reports/mirror.py) answers exactly as the database does,
after every kind of write, including a transaction that commits after the copy last looked."""

from __future__ import annotations

import random
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from data.core.db import bulk_insert
from data.core.runtime import Runtime
from data.models import AdminUnit, Report, ReportStatus, utcnow
from data.reports.filters import ReportFilter
from data.reports.mirror import MIRRORED, ReportMirror, _wrote_reports
from data.reports.queries import BREAKDOWNS, breakdown, count_reports
from data.reports.workflow import apply
from layers.boundaries import unit_counts
from layers.density import density_cells
from tests.factories import HUE_LAT, HUE_LON, World, report, world

STATUSES = [s.value for s in ReportStatus]
CHANNELS = ["web", "app", "zalo", "email", "hotline"]


def _random_reports(s: Any, w: World, rng: random.Random, n: int) -> None:
    now = utcnow()
    for _ in range(n):
        placed = rng.random() > 0.1
        report(s, w, status=rng.choice(STATUSES), channel=rng.choice(CHANNELS),
               category_id=rng.choice([w.roads, w.lights, None]),
               agency_id=rng.choice([w.agency_a, w.agency_b, None]), admin_unit_id=rng.choice([w.ward, w.ward_2]),
               created_at=now - timedelta(hours=rng.uniform(0, 24 * 400)),
               expected_at=now + timedelta(hours=rng.uniform(-24 * 30, 24 * 30)),
               lat=HUE_LAT + rng.gauss(0, 0.03) if placed else None,
               lon=HUE_LON + rng.gauss(0, 0.03) if placed else None)


def _filters(w: World, district: int) -> list[ReportFilter]:
    now = utcnow()
    return [
        ReportFilter(),
        ReportFilter(since=now - timedelta(days=30)),
        ReportFilter(since=now - timedelta(days=366), until=now - timedelta(days=20)),
        ReportFilter(category_ids=(w.lights,), statuses=("received", "assigned", "in_progress")),
        ReportFilter(channels=("zalo", "email"), agency_ids=(w.agency_b,)),
        ReportFilter(agency_id=w.agency_a, since=now - timedelta(days=90)),
        ReportFilter(admin_unit_ids=(w.ward_2,)),
        ReportFilter(admin_unit_ids=(district,), overdue_only=True),
        ReportFilter(overdue_only=True, category_ids=(w.roads, w.lights)),
    ]


def _compare(runtime: Runtime, mirror: ReportMirror, filters: list[ReportFilter]) -> int:
    """Assert the copy's cells (two zooms), ward figures, breakdowns and totals equal the database's for
    each filter; the cells compared."""
    compared = 0
    now = utcnow()
    with runtime.session() as s:
        for f in filters:
            from_copy_units = unit_counts(s, f, now)
            from_copy_parts = [breakdown(s, f, by, limit=2) for by in BREAKDOWNS]
            from_copy_total = count_reports(s, f)
            s.info.pop("report_mirror")
            assert unit_counts(s, f, now) == from_copy_units, f
            assert [breakdown(s, f, by, limit=2) for by in BREAKDOWNS] == from_copy_parts, f
            assert count_reports(s, f) == from_copy_total, f
            s.info["report_mirror"] = mirror
            for zoom in (12, 15):
                from_copy = density_cells(s, f, zoom)
                s.info.pop("report_mirror")  # the same call, answered by the database
                from_db = density_cells(s, f, zoom)
                s.info["report_mirror"] = mirror
                assert sorted(from_copy[1], key=repr) == sorted(from_db[1], key=repr), (f, zoom)
                compared += len(from_db[1])
    return compared


def test_the_copy_counts_like_the_database_after_every_kind_of_write(runtime: Runtime,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    rng = random.Random(7)
    with runtime.session() as s:
        w = world(s)
        district = AdminUnit(level="district", code="474", name="Quận Phú Xuân")
        s.add(district)
        s.flush()
        district_id = district.id
        s.execute(update(AdminUnit).where(AdminUnit.id == w.ward).values(parent_id=district_id))
        _random_reports(s, w, rng, 150)
        mirror = ReportMirror.of(s)
    assert mirror is not None and not mirror.loaded
    mirror.load()
    assert mirror.rows == 150
    filters = _filters(w, district_id)
    assert _compare(runtime, mirror, filters) > 100

    with runtime.session() as s:  # a status change through the workflow, with its history
        target = s.scalar(select(Report.id).where(Report.status == ReportStatus.RECEIVED).limit(1))
        apply(s, target, "verify", w.operator)
    with runtime.session() as s:  # raw Core updates of copied columns
        s.execute(update(Report).where(Report.id % 3 == 0).values(category_id=w.lights, channel="hotline"))
        s.execute(update(Report).where(Report.id % 5 == 0).values(lat=HUE_LAT + 0.2, admin_unit_id=w.ward_2))
    with runtime.session() as s:  # a bulk insert (COPY on PostgreSQL) and new reports through the ORM
        now = utcnow()
        bulk_insert(s, Report, [
            {"tracking_code": f"B-{i}", "channel": "email", "status": "received", "urgency": "normal",
             "description": "Đèn đường hỏng", "lat": HUE_LAT + i / 1000, "lon": HUE_LON, "created_at": now,
             "updated_at": now, "expected_at": now - timedelta(days=1), "published": False, "is_demo": False,
             "me_too_count": 0, "reopen_count": 0, "category_confirmed": False, "publish_consent": True,
             "category_id": w.roads, "admin_unit_id": w.ward}
            for i in range(40)])
        _random_reports(s, w, rng, 20)
    with runtime.session() as s:  # the ward moves to another district: its reports with it
        s.execute(update(AdminUnit).where(AdminUnit.id == w.ward_2).values(parent_id=district_id))
    assert _compare(runtime, mirror, filters) > 100
    assert mirror.rows == 210
    # The copy answered every time (a failing copy hands over to the database, and says so).
    assert not [r.getMessage() for r in caplog.records if r.name == "data.reports.mirror"]


def test_stamps_move_only_when_a_copied_column_changes(runtime: Runtime) -> None:
    with runtime.session() as s:
        w = world(s)
        r = report(s, w)
        report_id = r.id

    def stamp() -> int:
        with runtime.session() as s:
            return int(s.scalar(select(Report.change_stamp).where(Report.id == report_id)))

    first = stamp()
    with runtime.session() as s:
        s.execute(update(Report).where(Report.id == report_id).values(processed_at=utcnow(), title="Ổ gà"))
    assert stamp() == first
    changes: dict[str, Any] = {"created_at": utcnow() - timedelta(days=2), "category_id": w.lights,
                               "status": "assigned", "channel": "zalo", "agency_id": w.agency_b,
                               "admin_unit_id": w.ward_2, "expected_at": utcnow(), "lat": 16.5, "lon": 107.6,
                               "rating": 4}
    assert set(changes) == {c.name for c in MIRRORED} - {"id"}
    for column, value in changes.items():
        before = stamp()
        with runtime.session() as s:
            s.execute(update(Report).where(Report.id == report_id).values({column: value}))
        assert stamp() > before, column


def test_a_transaction_that_commits_after_the_copy_looked_is_read_next_time(pg_runtime: Runtime) -> None:
    """A stamp taken before the copy's last look but committed after it: a 'newest stamp so far'
    watermark would skip it for good; the snapshot's xmin does not."""
    runtime = pg_runtime
    with runtime.session() as s:
        w = world(s)
        early = report(s, w, status=ReportStatus.RECEIVED)
        early_id = early.id
        mirror = ReportMirror.of(s)
    assert mirror is not None
    mirror.load()
    count = select(Report.status, func.count()).group_by(Report.status).order_by(Report.status)

    slow = runtime.engine.connect()
    slow_txn = slow.begin()
    slow.execute(text("UPDATE reports SET status = 'assigned' WHERE id = :id"), {"id": early_id})
    with runtime.session() as s:  # a later transaction commits first, and the copy looks
        report(s, w, status=ReportStatus.RESOLVED)
    assert mirror.answer(count) == [("received", 1), ("resolved", 1)]
    slow_txn.commit()
    slow.close()  # back to the pool: the generation moves
    assert mirror.answer(count) == [("assigned", 1), ("resolved", 1)]
    with runtime.session() as s:
        assert mirror.answer(count) == list(s.execute(count))


def test_a_text_search_asks_the_database_and_the_copy_loads_in_the_background(runtime: Runtime) -> None:
    with runtime.session() as s:
        w = world(s)
        report(s, w, description="Cây đổ chắn đường", search_text="cay do chan duong")
        report(s, w, lat=HUE_LAT + 0.3)
    with runtime.session() as s:
        mirror = ReportMirror.of(s)
        assert mirror is not None and not mirror.can_answer(ReportFilter(text="cay do"))
        assert mirror.can_answer(ReportFilter(statuses=("received",)))
        assert [c.count for c in density_cells(s, ReportFilter(text="cay do"), 14)[1]] == [1]
        # Not loaded yet: the database answers, and the copy starts loading in the background.
        assert sorted(c.count for c in density_cells(s, ReportFilter(), 14)[1]) == [1, 1]
    deadline = time.monotonic() + 20
    while not mirror.loaded and time.monotonic() < deadline:
        time.sleep(0.05)
    assert mirror.loaded and mirror.rows == 2
    assert mirror.answer(select(func.count()).select_from(Report)) == [(2,)]


def test_a_session_that_wrote_reports_sees_its_own_writes(runtime: Runtime) -> None:
    """The copy holds committed rows only: a transaction that wrote reports is answered by the database."""
    with runtime.session() as s:
        w = world(s)
        report(s, w)
        mirror = ReportMirror.of(s)
    assert mirror is not None
    mirror.load()
    with runtime.session() as s:
        assert count_reports(s, ReportFilter()) == 1
        report(s, w)  # flushed, not committed
        assert count_reports(s, ReportFilter()) == 2
        s.add(Report(tracking_code="T-PENDING", channel="web", status="received", description="Chưa flush"))
        assert count_reports(s, ReportFilter()) == 3  # autoflush: the database sees it too
    with runtime.session() as s:
        s.execute(update(Report).values(status="verified"))  # a Core write: the connection is flagged
        assert [n for _, n in breakdown(s, ReportFilter(), "status")] == [3]
        assert breakdown(s, ReportFilter(), "status")[0][0] == "verified"
    with runtime.session() as s:
        assert breakdown(s, ReportFilter(), "status") == [("verified", 3)]  # the copy, after the commit
        assert not _wrote_reports(s)
