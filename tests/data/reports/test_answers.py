"""Cached answers (data/core/cache.py): computed once per reports generation, retired by any committed
report write (Open311's autocommitted CTE, ORM updates, COPY imports), kept by rollbacks and by writes
elsewhere. SQLite embedded (in-process cache) and PostgreSQL with Redis (shared cache)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from data.core.runtime import Runtime
from data.intake import Submission, submit
from data.intake.bulk.reports import import_reports, preset
from data.intake.pipeline import clear_places_cache
from data.models import Channel, MapFeature, Report, ReportStatus, utcnow
from data.reports.filters import ReportFilter, filter_key
from layers.base import MapView
from layers.density import LAYER
from tests.conftest import REDIS_URL
from tests.dashboard.pages.test_imports_browser import EXPORT
from tests.data.intake.test_intake import INSIDE, _seed
from tests.dbfixtures import fresh_pg_database, open_runtime


@pytest.fixture(params=["sqlite", "postgres+redis"])
def rt(request: pytest.FixtureRequest, tmp_path: Path, redis_prefix: str) -> Iterator[Runtime]:
    clear_places_cache()
    if request.param == "sqlite":
        with open_runtime(f"sqlite:///{tmp_path / 'answers.sqlite3'}", upload_dir=tmp_path / "up") as runtime:
            _seed(runtime)
            yield runtime
        return
    with fresh_pg_database() as url, open_runtime(url, upload_dir=tmp_path / "up", redis_url=REDIS_URL,
                                                   redis_prefix=redis_prefix) as runtime:
        _seed(runtime)
        yield runtime


class Density:
    """The map's density answer through the cache, counting how often it was really computed."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime, self.computed = runtime, 0
        self.filters = ReportFilter(since=utcnow() - timedelta(days=30))

    def __call__(self) -> dict[str, Any]:
        def compute() -> dict[str, Any]:
            self.computed += 1
            with self.runtime.session() as session:
                return LAYER.load(session, self.filters, MapView(zoom=14))

        return self.runtime.answers.get("layer:density", [filter_key(self.filters), 14], compute)

    def total(self) -> int:
        return sum(f["properties"]["count"] for f in self().get("features", []))


def _report(runtime: Runtime, text: str = "Đèn đường hỏng trước nhà số 5") -> int:
    """A new report, once processed (embedded, a thread classifies and routes it: a write too)."""
    report_id = submit(runtime, Submission(channel=Channel.OPEN311, description=text, lat=INSIDE[0],
                                           lon=INSIDE[1])).report_id
    if runtime.settings.embedded:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with runtime.session() as s:
                if s.scalar(select(Report.processed_at).where(Report.id == report_id)) is not None:
                    break
            time.sleep(0.05)
        # ... and the thread returns its connection (which bumps the generation) just after: wait
        # until the generation has stood still for a moment.
        last, still_since = runtime.answers.generation(), time.monotonic()
        while time.monotonic() - still_since < 0.3 and time.monotonic() < deadline:
            time.sleep(0.05)
            if (now := runtime.answers.generation()) != last:
                last, still_since = now, time.monotonic()
    return report_id


def test_an_answer_is_computed_once_until_a_report_arrives(rt: Runtime) -> None:
    density = Density(rt)
    assert density.total() == 0 and density.total() == 0
    assert density.computed == 1  # the second came from the cache
    _report(rt)  # Open311's path: one autocommitted statement on PostgreSQL
    assert density.total() == 1 and density.computed == 2
    assert density.total() == 1 and density.computed == 2


def test_updates_retire_answers_and_rollbacks_and_other_tables_do_not(rt: Runtime) -> None:
    report_id = _report(rt)
    density = Density(rt)
    density()
    generation = rt.answers.generation()

    with rt.session() as s:  # a write elsewhere: the answers stay
        s.add(MapFeature(layer="poi", kind="wifi", code="wifi-1", name="Wifi công cộng", lat=INSIDE[0],
                         lon=INSIDE[1]))
    with pytest.raises(RuntimeError), rt.session() as s:  # a report write rolled back: they stay
        s.execute(update(Report).where(Report.id == report_id).values(status=ReportStatus.VERIFIED))
        raise RuntimeError("the operator's action failed")
    density()
    assert rt.answers.generation() == generation and density.computed == 1

    with rt.session() as s:  # a committed ORM change: they go
        report = s.get(Report, report_id)
        assert report is not None and report.status == ReportStatus.RECEIVED
        report.lat = None
    assert rt.answers.generation() > generation
    assert density.total() == 0 and density.computed == 2


def test_an_import_retires_answers(rt: Runtime, tmp_path: Path) -> None:
    density = Density(rt)
    density()
    csv = tmp_path / "nyc311.csv"
    csv.write_bytes(EXPORT)
    summary = import_reports(rt, csv, preset("nyc311"), dry_run=False)  # COPY on PostgreSQL
    assert summary.imported == 3
    density()
    assert density.computed == 2
    with rt.session() as s:
        assert s.scalar(select(Report.id).where(Report.external_id == "9001")) is not None


def test_filters_are_keyed_to_the_minute() -> None:
    at = datetime(2026, 12, 2, 8, 15, 42, 123)
    a = filter_key(ReportFilter(since=at, category_ids=(3,)))
    b = filter_key(ReportFilter(since=at + timedelta(seconds=10), category_ids=(3,)))
    c = filter_key(ReportFilter(since=at + timedelta(minutes=1), category_ids=(3,)))
    assert a == b and a != c and a["since"] == "2026-12-02T08:15:00"


def test_a_redis_outage_is_one_log_line_not_a_traceback_per_write(caplog: pytest.LogCaptureFixture) -> None:
    """While Redis is down every committed report retires the answers, and each used to log a traceback."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    from data.core.cache import Answers
    from tests.browser import free_port

    # Nothing listens there; no retries, so the 40 calls are refused at once (redis-py would back off).
    down = redis.Redis(port=free_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    answers = Answers(down, "ioc-test-down")
    with caplog.at_level("WARNING", logger="data.core.cache"):
        for n in range(20):
            answers.reports_changed()
            assert answers.get("density", {"n": n}, lambda n=n: n * 2) == n * 2  # computed, not failed
    lines = [r for r in caplog.records if r.name == "data.core.cache"]
    assert len(lines) == 1 and lines[0].exc_info is None, [r.getMessage() for r in lines]
    assert "Redis unreachable" in lines[0].getMessage()
