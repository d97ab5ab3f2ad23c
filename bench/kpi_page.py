"""The leaders' page (/kpis) on a large catalogue: server time to build every card (queries and
layout) with the board's two grouped queries, against a naive page that queries each card alone.

    .venv/bin/python bench/kpi_page.py --indicators 200 --years 10 --wards 40 --db both

Values are **monthly**: each indicator has one city-wide value and one per ward for every month of
``--years`` years (200 × 120 × 41 ≈ 984,000 rows by default). Also the drill-down (/kpis/<code>):
whole series, breakdowns by ward and agency, other provinces. Prints figures only.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from overview_queries import on_each_database, timed

from dashboard.components import kpi_sections
from data.core.db import bulk_insert
from data.core.runtime import Runtime
from data.core.settings import load_settings
from data.kpis.board import CITY_WIDE, POINT_COLUMNS, _point, board, detail, spec_of
from data.kpis.status import KpiCard, build_card, history_start, period_of, shift_period
from data.models import AdminUnit, Indicator, IndicatorValue
from data.runtime import build_runtime

THEMES = ["economy", "budget", "public_services", "citizen_reports", "education", "health", "tourism",
          "environment", "security"]


def fill(runtime: Runtime, indicators: int, years: int, wards: int, today: date) -> int:
    """The catalogue, the wards and every monthly value (city and each ward); returns the rows written."""
    rng = np.random.default_rng(7)
    with runtime.session() as s:
        bulk_insert(s, AdminUnit, [{"level": "ward", "code": f"W{k:03d}", "name": f"Phường {k}",
                                    "is_demo": False} for k in range(wards)])
        bulk_insert(s, Indicator, [
            {"code": f"kpi_{k:03d}", "name": f"Chỉ số {k}", "name_en": f"KPI {k}", "theme": THEMES[k % len(THEMES)],
             "unit": "%", "frequency": "month", "direction": "up" if k % 3 else "down", "geography": "ward",
             "target": 80.0, "amber_threshold": 70.0, "red_threshold": 60.0, "sort_order": k, "is_demo": False}
            for k in range(indicators)])
    with runtime.session() as s:
        unit_ids = list(s.scalars(select(AdminUnit.id)))
        ind_ids = list(s.scalars(select(Indicator.id)))
    last = shift_period(today, "month", -1)
    months = [shift_period(last, "month", -k) for k in range(12 * years)]
    received = datetime(today.year, today.month, 1)
    written = 0
    for ind_id in ind_ids:
        rows = []
        for month in months:
            label, start = period_of(month, "month")
            for unit in (None, *unit_ids):
                rows.append({"indicator_id": ind_id, "period": label, "period_start": start, "admin_unit_id": unit,
                             "agency_id": None, "value": float(round(60 + 40 * rng.random(), 1)), "target": None,
                             "source": "bench", "received_at": received, "superseded": False, "place": None,
                             "is_demo": False})
        with runtime.session() as s:
            bulk_insert(s, IndicatorValue, rows)
        written += len(rows)
        print(f"\r  inserted {written:,}", end="", flush=True)
    print()
    with runtime.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))
    return written


def naive_board(s: Session, today: date) -> list[KpiCard]:
    """The baseline: the catalogue, then one query per card for its recent values."""
    cards = []
    for ind in s.scalars(select(Indicator).order_by(Indicator.sort_order, Indicator.code)):
        rows = s.execute(select(*POINT_COLUMNS).where(
            IndicatorValue.indicator_id == ind.id, CITY_WIDE,
            IndicatorValue.period_start >= history_start(today, ind.frequency)))
        cards.append(build_card(spec_of(ind), [_point(r) for r in rows], today))
    return cards


def page(cards: list[KpiCard]) -> Any:
    return kpi_sections(cards, THEMES, datetime.now())


def bench(runtime: Runtime, args: argparse.Namespace) -> None:
    today = date.today()
    started = time.perf_counter()
    rows = fill(runtime, args.indicators, args.years, args.wards, today)
    print(f"  {rows:,} monthly values in {time.perf_counter() - started:.1f} s")
    with runtime.session() as s:
        fast_q, fast_q95 = timed(lambda: board(s, today), args.runs)
        fast, fast95 = timed(lambda: page(board(s, today)), args.runs)
        slow_q, _ = timed(lambda: naive_board(s, today), args.runs)
        slow, slow95 = timed(lambda: page(naive_board(s, today)), args.runs)
        assert board(s, today) == naive_board(s, today)  # the same cards, whichever way
        drill, drill95 = timed(lambda: detail(s, "kpi_007", today), args.runs)
    print(f"  page, 2 grouped queries : {fast:7.1f} ms median, p95 {fast95:7.1f} ms "
          f"(queries {fast_q:6.1f} ms, p95 {fast_q95:6.1f})")
    print(f"  page, a query per card  : {slow:7.1f} ms median, p95 {slow95:7.1f} ms "
          f"(queries {slow_q:6.1f} ms) — {slow / fast:.1f}× the time")
    print(f"  drill-down /kpis/<code> : {drill:7.1f} ms median, p95 {drill95:7.1f} ms "
          f"({12 * args.years} months, {args.wards} wards)")


def run_on(url: str, args: argparse.Namespace) -> None:
    settings = load_settings(database_url=url, redis_url=None, demo=False, run_streams=False, run_workers=False)
    runtime = build_runtime(settings)
    try:
        bench(runtime, args)
    finally:
        runtime.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--indicators", type=int, default=200)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--wards", type=int, default=40)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    on_each_database(args.db, f"{args.indicators} indicators × {args.years} years (monthly) × "
                     f"{args.wards} wards + city", lambda url: run_on(url, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
