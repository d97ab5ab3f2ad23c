"""Time the overview page's queries on many generated reports, on SQLite and PostgreSQL.

    .venv/bin/python bench/overview_queries.py --reports 1000000 --db both

Prints, per database: insert rate of the generated reports, then median and p95 of each query the
overview page runs, and the naive baseline in the same run: read every report into pandas and count
there (what a dashboard without SQL aggregation does). Nothing here is a test; it prints figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data.core.db import bulk_insert
from data.core.runtime import Runtime
from data.core.settings import load_settings
from data.demo import generate_reports, load_report_context, seed_demo
from data.models import OPEN_STATUSES, Category, Report, utcnow
from data.overview import latest_kpis, overview
from data.reports.queries import counts_by, recent_reports
from data.runtime import build_runtime
from tests.dbfixtures import fresh_pg_database


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    """Median and p95 wall time of ``fn`` in milliseconds (after one warm-up call)."""
    fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(0.95 * len(samples)))]


def fill(runtime: Runtime, n: int) -> float:
    """Seed the demo catalogue (no reports), then insert ``n`` generated reports; rows/s."""
    seed_demo(runtime, runtime.settings)
    with runtime.session() as session:
        ctx = load_report_context(session)
    started = time.perf_counter()
    done = 0
    for rows in generate_reports(n, ctx, seed=11, chunk_size=20_000):
        with runtime.session() as session:
            bulk_insert(session, Report, rows)
        done += len(rows)
        print(f"\r  inserted {done:,}", end="", flush=True)
    print()
    rate = done / (time.perf_counter() - started)
    # Statistics and the visibility map, as autovacuum keeps them in production: without VACUUM,
    # PostgreSQL cannot use index-only scans on freshly copied rows.
    with runtime.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))
    return rate


def naive_overview(runtime: Runtime) -> dict[str, int]:
    """The baseline: every report to the app, counted in pandas."""
    now = utcnow()
    frame = pd.read_sql("SELECT status, expected_at, created_at, resolved_at FROM reports", runtime.engine)
    is_open = frame["status"].isin([s.value for s in OPEN_STATUSES])
    return {
        "open": int(is_open.sum()),
        "overdue": int((is_open & (pd.to_datetime(frame["expected_at"]) < now)).sum()),
        "today": int((pd.to_datetime(frame["created_at"]) >= now.replace(hour=0, minute=0)).sum()),
        "resolved": int((pd.to_datetime(frame["resolved_at"]) >= now - timedelta(days=30)).sum()),
    }


def bench(runtime: Runtime, n: int, runs: int) -> None:
    rate = fill(runtime, n)
    print(f"  bulk insert: {rate:,.0f} reports/s (generation included)")
    tz = runtime.settings.tz
    with runtime.session() as s:
        total = s.query(Report).count()
        checks: dict[str, Callable[[], Any]] = {
            "overview counts": lambda: overview(s, tz=tz),
            "latest KPIs": lambda: latest_kpis(s, utcnow().date(), 1, limit=8),
            "10 newest reports": lambda: recent_reports(s, limit=10),
            "by category, 30 days": lambda: counts_by(s, Category.name, since=utcnow() - timedelta(days=30)),
        }
        print(f"  {total:,} reports")
        page_total = 0.0
        for name, fn in checks.items():
            median, p95 = timed(fn, runs)
            page_total += median
            print(f"  {name:24} median {median:8.1f} ms   p95 {p95:8.1f} ms")
        print(f"  {'whole overview page':24} median {page_total:8.1f} ms (sum of medians)")
        ours, _ = timed(lambda: overview(s, tz=tz), runs)
    naive, _ = timed(lambda: naive_overview(runtime), 3)
    print(f"  naive baseline (all rows → pandas): {naive:,.0f} ms for the counts alone; "
          f"SQL counts are {naive / ours:,.0f}× faster")


def run_on(url: str, n: int, runs: int) -> None:
    settings = load_settings(database_url=url, redis_url=None, demo=True, demo_reports=0, demo_cameras=24,
                             run_streams=False, run_workers=False)
    runtime = build_runtime(settings)
    try:
        bench(runtime, n, runs)
    finally:
        runtime.close()


def on_each_database(db: str, describe: str, run: Callable[[str], None]) -> None:
    """``run(url)`` on a temporary SQLite file and/or a fresh PostgreSQL database (dropped after)."""
    if db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            print(f"SQLite, {describe}")
            run(f"sqlite:///{tmp}/bench.sqlite3")
    if db in ("postgres", "both"):
        with fresh_pg_database() as url:
            print(f"PostgreSQL, {describe}")
            run(url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    on_each_database(args.db, f"{args.reports:,} generated reports",
                     lambda url: run_on(url, args.reports, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
