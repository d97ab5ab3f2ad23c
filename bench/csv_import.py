"""CSV import into PostgreSQL: rows/s for validation only, the full import, and a naive per-row baseline.

Target (DESIGN.md): ≥ 20,000 rows/s into PostgreSQL. Generates a NYC-311-layout CSV (default
200,000 rows, realistic values, points in and around Huế) in a temp dir, imports it into a fresh
PostgreSQL database (and a SQLite file), and compares with per-row ORM inserts on a 10k subset::

    .venv/bin/python bench/csv_import.py [--rows 200000]  (PostgreSQL: IOC_TEST_POSTGRES_URL, as the tests)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cpu import cpu_seconds, postgres_pids
from sqlalchemy import text

from data.core.db import copy_frame
from data.core.settings import PROJECT_ROOT, load_settings
from data.core.tabular import read_table
from data.geo.boundaries import FieldMap, import_geojson
from data.intake.bulk.reports import context_of, import_reports, preset, validate
from data.intake.bulk.reports import inserts as report_import  # where the import COPYs each chunk
from data.models import Report
from data.runtime import build_runtime
from tests.dbfixtures import fresh_pg_database

COMPLAINTS = [("Street Condition", "Pothole"), ("Noise - Residential", "Loud Music/Party"),
              ("Illegal Parking", "Blocked Hydrant"), ("Blocked Driveway", "No Access"),
              ("Damaged Tree", "Branch Cracked and Will Fall"), ("Sanitation Condition", "Dirty Sidewalk"),
              ("Street Sign - Missing", "Stop"), ("Taxi Complaint", "Driver Complaint"),
              ("Water System", "Hydrant Running"), ("Consumer Complaint", "Overcharge")]
STATUS = ["Closed"] * 8 + ["Open", "Pending", "Assigned", "Started"]
CHANNELS = ["PHONE", "ONLINE", "MOBILE", "OTHER", "UNKNOWN"]
AGENCIES = ["NYPD", "DOT", "DSNY", "DPR", "DEP", "TLC", "DCA"]
STREETS = ["LE LOI", "HUNG VUONG", "TRAN HUNG DAO", "NGUYEN HUE", "BA TRIEU", "DIEN BIEN PHU", "PHAN DINH PHUNG"]


def generate(path: Path, rows: int, seed: int = 311) -> None:
    """A NYC 311 layout CSV: unique keys, spread timestamps, a third without coordinates, free-text extras."""
    rng = np.random.default_rng(seed)
    start = datetime(2024, 1, 1)
    created = [start + timedelta(seconds=int(s)) for s in rng.integers(0, 365 * 86400, rows)]
    lasting = rng.integers(3600, 20 * 86400, rows)
    pick = rng.integers(0, len(COMPLAINTS), rows)
    status = np.array(STATUS)[rng.integers(0, len(STATUS), rows)]
    has_point = rng.random(rows) > 0.3
    lat = np.where(has_point, rng.uniform(16.38, 16.52, rows).round(6).astype(str), "")
    lon = np.where(has_point, rng.uniform(107.52, 107.66, rows).round(6).astype(str), "")
    fmt = "%m/%d/%Y %I:%M:%S %p"
    frame = pd.DataFrame({
        "Unique Key": (30_000_000 + np.arange(rows)).astype(str),
        "Created Date": [c.strftime(fmt) for c in created],
        "Closed Date": [(c + timedelta(seconds=int(d))).strftime(fmt) if s == "Closed" else ""
                        for c, d, s in zip(created, lasting, status, strict=True)],
        "Agency": np.array(AGENCIES)[rng.integers(0, len(AGENCIES), rows)],
        "Complaint Type": [COMPLAINTS[i][0] for i in pick],
        "Descriptor": [f"{COMPLAINTS[i][1]} near no. {n}" for i, n in zip(pick, rng.integers(1, 400, rows),
                                                                          strict=True)],
        "Incident Address": [f"{n} {STREETS[s]}" for n, s in zip(rng.integers(1, 300, rows),
                                                                  rng.integers(0, len(STREETS), rows), strict=True)],
        "City": "HUE",
        "Status": status,
        "Borough": "HUE",
        "Incident Zip": "530000",
        "Open Data Channel Type": np.array(CHANNELS)[rng.integers(0, len(CHANNELS), rows)],
        "Latitude": lat,
        "Longitude": lon,
    })
    frame.to_csv(path, index=False)


def measure(url: str, csv: Path, tmp: Path, label: str, baseline_rows: int) -> None:
    settings = load_settings(database_url=url, redis_url=None, demo=False, run_streams=False, run_workers=False,
                             secret_key="bench-secret-key-0123456789", upload_dir=tmp / "uploads")
    runtime = build_runtime(settings)  # migrates the fresh database
    try:
        with runtime.session() as session:
            districts = PROJECT_ROOT / "data" / "demo_data" / "hue_districts_dvhcvn.geojson"
            import_geojson(session, districts, level="district", fields=FieldMap(code="level2_id", name="name"))
        mapping = preset("nyc311")
        frame = read_table(csv)
        rows = len(frame)
        with runtime.session() as session:
            context = context_of(runtime, session)
        started = time.perf_counter()
        result = validate(frame, mapping, context)
        validate_s = time.perf_counter() - started
        located = int(result.rows["admin_unit_id"].notna().sum())
        pg_before, py_before = cpu_seconds(postgres_pids()), time.process_time()
        started = time.perf_counter()
        copied: list[pd.DataFrame] = []  # the import's own COPY frames, replayed below
        with _keeping_frames(copied):
            summary = import_reports(runtime, csv, mapping, dry_run=False)
        import_s = time.perf_counter() - started
        py_cpu, pg_cpu = time.process_time() - py_before, cpu_seconds(postgres_pids()) - pg_before
        print(f"[{label}] {rows:,} rows; {located:,} located in a district")
        print(f"[{label}] validate only:  {rows / validate_s:10,.0f} rows/s ({validate_s:.2f} s)")
        print(f"[{label}] full import:    {rows / import_s:10,.0f} rows/s ({import_s:.2f} s, "
              f"{summary.imported:,} new, read + validate + write)")
        if label == "PostgreSQL":
            per_row = (py_cpu + pg_cpu) / rows * 1e6
            cores = os.cpu_count() or 1
            print(f"[{label}] CPU per row: import {py_cpu / rows * 1e6:.0f} µs, PostgreSQL {pg_cpu / rows * 1e6:.0f} µs"
                  f" (all databases on the server); ceiling with all {cores} cores busy: "
                  f"{cores * 1e6 / per_row:,.0f} rows/s; 20,000 rows/s needs {20_000 * per_row / 1e6:.1f} cores")
        started = time.perf_counter()
        again = import_reports(runtime, csv, mapping, dry_run=False)
        print(f"[{label}] re-import:      {rows / (time.perf_counter() - started):10,.0f} rows/s "
              f"({again.imported} new, {again.already_imported:,} already there)")
        if label == "PostgreSQL":
            _where_postgres_time_goes(runtime, copied)
        if baseline_rows:
            naive_rate = _naive(runtime, result.rows.head(baseline_rows))
            print(f"[{label}] naive per-row ORM insert ({baseline_rows:,} rows): {naive_rate:,.0f} rows/s; "
                  f"full import is {rows / import_s / naive_rate:.1f}× faster")
    finally:
        runtime.close()


@contextmanager
def _keeping_frames(into: list[pd.DataFrame]) -> Iterator[None]:
    """Keep a copy of each reports frame the import COPYs (the import runs unchanged); a chunk retried
    after a tracking-code collision is kept once, as it was last sent."""
    by_chunk: dict[str, pd.DataFrame] = {}

    def keep(session: Any, model: Any, frame: pd.DataFrame) -> None:
        if model is Report:
            by_chunk[str(frame["idempotency_key"].iloc[0])] = frame.copy()
        copy_frame(session, model, frame)

    with patch.object(report_import, "copy_frame", keep):
        yield
    into.extend(by_chunk.values())


def _where_postgres_time_goes(runtime: Any, frames: list[pd.DataFrame]) -> None:
    """COPY the import's frames again (new codes and keys), with fewer indexes and keys each time:
    PostgreSQL's CPU per report row, and what each group of indexes or the foreign keys cost."""
    steps: list[tuple[str, list[str]]] = [
        ("every index and key, as the app runs", []),
        ("without ix_reports_change_stamp (the map copy's)", ["DROP INDEX ix_reports_change_stamp"]),
        ("... and the 5 indexes the reports page and KPIs filter by",
         [f"DROP INDEX {ix}" for ix in ("ix_reports_created_category", "ix_reports_status_expected",
                                        "ix_reports_agency_created", "ix_reports_created_channel",
                                        "ix_reports_admin_unit_id")]),
        ("... and the foreign keys", ["fks"]),
    ]
    n = sum(len(f) for f in frames)
    for i, (label, ddl) in enumerate(steps):
        with runtime.engine.begin() as conn:
            for statement in ddl:
                if statement == "fks":
                    for name in conn.execute(text("SELECT conname FROM pg_constraint WHERE contype = 'f' "
                                                  "AND conrelid = 'reports'::regclass")).scalars().all():
                        conn.execute(text(f"ALTER TABLE reports DROP CONSTRAINT {name}"))
                else:
                    conn.execute(text(statement))
        before, started = cpu_seconds(postgres_pids()), time.perf_counter()
        for frame in frames:
            again = frame.assign(tracking_code=f"R{i}" + frame["tracking_code"],
                                 idempotency_key=f"r{i}:" + frame["idempotency_key"])
            with runtime.session() as session:
                copy_frame(session, Report, again)
        took = time.perf_counter() - started
        print(f"[PostgreSQL] COPY of the same report rows again, {label}: {n / took:,.0f} rows/s, "
              f"PostgreSQL {(cpu_seconds(postgres_pids()) - before) / n * 1e6:.0f} µs/row")


def _naive(runtime: object, rows: pd.DataFrame) -> float:
    """The obvious way: one ORM object and one flush per row (what submit() costs, minus files)."""
    from data.core.text import fold
    from data.intake.pipeline import new_tracking_code
    from data.models import utcnow

    started = time.perf_counter()
    with runtime.session() as session:  # type: ignore[attr-defined]
        for row in rows.itertuples():
            session.add(Report(tracking_code=new_tracking_code("NAIVE", 2024), channel=row.channel,
                               external_id=f"naive-{row.external_id}", idempotency_key=f"naive:{row.external_id}",
                               status=row.status, description=row.description,
                               search_text=fold(f"{row.title} {row.description}"),
                               created_at=row.created_at.to_pydatetime(), updated_at=utcnow()))
            session.flush()
    return len(rows) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--sqlite-rows", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        csv = tmp / "nyc311_generated.csv"
        started = time.perf_counter()
        generate(csv, args.rows)
        size_mb = csv.stat().st_size / 1e6
        print(f"generated {args.rows:,} rows ({size_mb:.0f} MB) in {time.perf_counter() - started:.1f} s")
        with fresh_pg_database() as url:
            measure(url, csv, tmp, "PostgreSQL", 10_000)
        small = tmp / "nyc311_small.csv"
        generate(small, args.sqlite_rows, seed=312)
        measure(f"sqlite:///{tmp / 'bench.sqlite3'}", small, tmp, "SQLite", 10_000)


if __name__ == "__main__":
    main()
