"""The map's report density (heatmap) on many generated reports: server time and bytes sent, per filter
and zoom, against the naive approach of sending every matching report as a GeoJSON point.

    .venv/bin/python bench/map_density.py --reports 1000000 --db both

Target (issue 4): ≤ 100 ms server time and ≤ 300 KB sent when a filter changes. For each filter and
zoom: the layer as the app runs it (counted on the in-process column copy, data/reports/mirror.py),
the same right after a report was written (the copy re-reads the rows written first), the same query
in the database alone, and the time to fetch the answer from the Redis answer cache
(data/core/cache.py) that serves every gunicorn worker until the next report write. Prints figures only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import psutil
import redis
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from overview_queries import fill, on_each_database, timed

from app import settle
from data.core.cache import Answers
from data.core.db import bulk_insert, make_sessionmaker
from data.core.runtime import Runtime
from data.core.settings import load_settings
from data.demo import generate_reports, load_report_context
from data.models import Category, Report, utcnow
from data.reports.filters import ReportFilter, filter_key
from data.reports.mirror import ReportMirror
from data.reports.queries import apply_filter
from data.runtime import build_runtime
from layers.base import MapView, feature_collection, point_feature
from layers.boundaries import unit_counts
from layers.density import LAYER

REDIS_URL = "redis://127.0.0.1:6379/15"


def naive_points(session: Any, filters: ReportFilter) -> dict[str, Any]:
    """The baseline: every matching report with a place, as a GeoJSON point, for the browser to bin."""
    query = apply_filter(select(Report.lat, Report.lon).where(Report.lat.is_not(None)), filters, utcnow())
    return feature_collection([point_feature(lat, lon, {}) for lat, lon in session.execute(query)])


def sent_kb(data: dict[str, Any]) -> float:
    return len(json.dumps(data, separators=(",", ":")).encode()) / 1024


def bench(runtime: Runtime, n: int, runs: int) -> None:
    rate = fill(runtime, n)
    print(f"  bulk insert: {rate:,.0f} reports/s (generation included)")
    with runtime.session() as s:
        mirror = ReportMirror.of(s)
        ctx = load_report_context(s)
    assert mirror is not None
    rss = psutil.Process().memory_info().rss
    started = time.perf_counter()
    mirror.load()
    grown = (psutil.Process().memory_info().rss - rss) / 2**20
    print(f"  column copy of {mirror.rows:,} reports loaded in {time.perf_counter() - started:.1f} s, "
          f"+{grown:.0f} MB resident, {mirror.memory_bytes() / 2**20:.0f} MB in DuckDB (once per web process, "
          "in the background; the database answers meanwhile)")
    settle()  # as a serving process does after start-up (app.py)
    database_only = make_sessionmaker(runtime.engine)  # sessions without the copy
    beyond = {year: 9_000_000 for year in range(2000, 2100)}  # tracking codes the fill did not use
    written = iter(generate_reports(10_000, ctx, seed=99, chunk_size=1, first_seq=beyond))
    now = utcnow()
    client = redis.Redis.from_url(REDIS_URL)
    prefix = f"ioc-bench-{uuid.uuid4().hex[:8]}"
    answers = Answers(client, prefix)  # as gunicorn workers share answers
    with runtime.session() as s, database_only() as plain:
        category = s.scalar(select(Category.id).order_by(Category.id))
        cases: dict[str, ReportFilter] = {
            "30 days": ReportFilter(since=now - timedelta(days=30)),
            "1 year": ReportFilter(since=now - timedelta(days=366)),
            "1 year, one category": ReportFilter(since=now - timedelta(days=366), category_ids=(category,)),
            "1 year, open only": ReportFilter(since=now - timedelta(days=366),
                                              statuses=("received", "verified", "assigned", "in_progress")),
        }
        for label, filters in cases.items():
            for zoom in (12, 14):
                view = MapView(zoom=zoom)
                load: Callable[[], Any] = lambda f=filters, v=view: LAYER.load(s, f, v)  # noqa: E731
                median, p95 = timed(load, runs)
                cells = load()

                def write_then_load(f: ReportFilter = filters, v: MapView = view) -> Any:
                    with runtime.session() as w:
                        bulk_insert(w, Report, next(written))
                    started = time.perf_counter()
                    LAYER.load(s, f, v)
                    return (time.perf_counter() - started) * 1000

                after_write = sorted(write_then_load() for _ in range(runs))[runs // 2]
                in_db, _ = timed(lambda f=filters, v=view: LAYER.load(plain, f, v), max(3, runs // 2))
                key = [filter_key(filters), zoom]
                answers.get("layer:density", key, load)  # the first asker computes and stores
                hit, _ = timed(partial(answers.get, "layer:density", key, load), runs)
                print(f"  {label:22} zoom {zoom}: {median:6.1f} ms median, p95 {p95:6.1f} ms, after a write "
                      f"{after_write:6.1f} ms; database alone {in_db:6.0f} ms ({in_db / median:4.0f}×); "
                      f"{len(cells['features']):5,} cells, {sent_kb(cells):6.1f} KB; cached in Redis {hit:4.1f} ms")
            on_copy, _ = timed(lambda f=filters: unit_counts(s, f, utcnow()), runs)
            in_db, _ = timed(lambda f=filters: unit_counts(plain, f, utcnow()), max(3, runs // 2))
            print(f"  {label:22} wards' figures (the choropleth): {on_copy:6.1f} ms on the copy, "
                  f"database alone {in_db:6.0f} ms")
            started = time.perf_counter()
            points = naive_points(s, filters)
            naive_ms = (time.perf_counter() - started) * 1000
            naive_kb = sent_kb(points)
            print(f"  {label:22} naive: {naive_ms:6.0f} ms, {len(points['features']):,} points, {naive_kb:9,.0f} KB "
                  f"({naive_ms / median:,.0f}× the time, {naive_kb / max(sent_kb(cells), 0.1):,.0f}× the bytes "
                  "of zoom 14)")
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


def run_on(url: str, n: int, runs: int) -> None:
    settings = load_settings(database_url=url, redis_url=None, demo=True, demo_reports=0, demo_cameras=0,
                             run_streams=False, run_workers=False)
    runtime = build_runtime(settings)
    try:
        bench(runtime, n, runs)
    finally:
        runtime.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    on_each_database(args.db, f"{args.reports:,} generated reports",
                     lambda url: run_on(url, args.reports, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
