"""An in-process, columnar copy of the reports' map columns (DuckDB), exact at every read.

Why: the map's density (heatmap) groups every report a filter matches. On a million reports that is
a scan of up to half a million rows, 0.4–2 s in PostgreSQL or SQLite, for each filter the Redis answer
cache has not seen yet; and pre-aggregates cannot stay small and exact under seven filters (time to
the second, category, status, channel, agency, ward, overdue-by-now). A column store scans the same
rows in a few milliseconds, so the answer is computed, not looked up, and every filter stays exact.

How it stays exact: the database stamps each report row it writes (``Report.change_stamp``,
migration 0012). Before answering, when the reports generation moved (``data.core.cache``: every
committed report write bumps it), the copy re-reads the rows stamped since its last look and
replaces them. On PostgreSQL the stamp is the writing transaction's id and the copy re-reads from its
last snapshot's *xmin*: every transaction below it had ended when the copy last read, so one that was
still running then (and commits late) is read on the next look. On SQLite writers take turns, so
stamps grow in commit order. Reports are never deleted (their append-only history holds them), so
re-reading writes is enough.

The same SQLAlchemy query (``data.reports.queries.apply_filter``) runs here and in the database: DuckDB
speaks the SQL, so the filters are written once. Each web process keeps its own copy (about 200 MB per
million reports, 70 MB of it the columns), loaded in the background at first use; until then the
database answers.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Column, Engine, MetaData, Select, Table, create_engine, select
from sqlalchemy.pool import StaticPool

from data.core.cache import WRITTEN
from data.models import AdminUnit, Report

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from data.reports.filters import ReportFilter

log = logging.getLogger(__name__)

# The columns the map's filters, cells and ward figures read (search_text is not copied: a text search
# asks the database). Migration 0012 stamps a row when any of them changes.
MIRRORED = (Report.id, Report.created_at, Report.category_id, Report.status, Report.channel,
            Report.agency_id, Report.admin_unit_id, Report.expected_at, Report.lat, Report.lon, Report.rating)
UNITS = (AdminUnit.id, AdminUnit.parent_id)  # a district in a filter stands for its wards
# pandas' nullable types, so an empty id or place reaches DuckDB as NULL, not as a float NaN.
DTYPES = {"id": "int64", "category_id": "Int64", "agency_id": "Int64", "admin_unit_id": "Int64",
          "lat": "Float64", "lon": "Float64", "rating": "Int64"}
CHUNK_ROWS = 50_000  # rows read and copied at a time
RETRY_LOAD_S = 60.0  # after a failed load, the database answers for this long before a new try
SESSION_KEY = "report_mirror"  # Session.info key under which the runtime hands the copy to its sessions


class ReportMirror:
    """``answer(query)``: run a select over ``reports`` on the copy, refreshed first when needed."""

    def __init__(self, source: Engine, generation: Callable[[], int]) -> None:
        self._source = source
        self._generation = generation
        self._lock = threading.Lock()  # the copy: one refresh or query at a time
        self._state_lock = threading.Lock()  # the loading flags, so a caller never waits on a load
        self._local = create_engine("duckdb:///:memory:", poolclass=StaticPool,
                                    connect_args={"config": {"threads": 2, "memory_limit": "2GB"}})
        self._loaded = False
        self._loading = False
        self._failed_at = 0.0
        self._seen_generation: int | None = None
        self._watermark = 0  # re-read rows stamped at or above this
        self.rows = 0

    @staticmethod
    def of(session: Session) -> ReportMirror | None:
        """The copy the runtime attached to this session, if any."""
        mirror = session.info.get(SESSION_KEY)
        return mirror if isinstance(mirror, ReportMirror) else None

    @staticmethod
    def can_answer(filters: ReportFilter) -> bool:
        return not filters.text

    @property
    def loaded(self) -> bool:
        return self._loaded

    def answer(self, query: Select[Any]) -> list[Any] | None:
        """The query's rows from the copy, or None while it is not loaded yet (ask the database)."""
        if not self._loaded:
            self._start_loading()
            return None
        with self._lock:
            generation = self._generation()  # read first: a write after this is seen next time
            if generation != self._seen_generation:
                self._refresh(full=False)
                self._seen_generation = generation
            with self._local.connect() as conn:
                return list(conn.execute(query).all())

    def load(self) -> None:
        """Copy every report (blocking); a second call starts over."""
        with self._lock:
            generation = self._generation()
            with self._local.begin() as conn:
                for table in (_table("reports", MIRRORED), _table("admin_units", UNITS)):
                    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")
                    table.create(conn)
            self._watermark = 0
            self._refresh(full=True)
            self._seen_generation = generation
            self._loaded = True
        gc.collect()
        _give_back_freed_memory()

    def _start_loading(self) -> None:
        with self._state_lock:
            if self._loading or time.monotonic() - self._failed_at < RETRY_LOAD_S:
                return
            self._loading = True
        threading.Thread(target=self._load_in_background, name="report-mirror-load", daemon=True).start()

    def _load_in_background(self) -> None:
        started = time.perf_counter()
        try:
            self.load()
            log.info("map copy of %s reports loaded in %.1f s", self.rows, time.perf_counter() - started)
        except Exception:
            log.exception("map copy of the reports could not load; the database answers meanwhile")
            self._failed_at = time.monotonic()
        finally:
            self._loading = False

    def memory_bytes(self) -> int:
        """What the copy's tables take in DuckDB's memory."""
        with self._lock, self._local.connect() as conn:
            return int(conn.exec_driver_sql("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").scalar() or 0)

    def _refresh(self, full: bool) -> None:
        """Replace the rows written since the last look (``full``: copy every row into the empty tables),
        a chunk at a time."""
        postgres = self._source.dialect.name == "postgresql"
        # A server-side cursor on PostgreSQL: a million rows never sit in memory at once.
        options: dict[str, Any] = {"isolation_level": "REPEATABLE READ", "stream_results": True} if postgres else {}
        names = ", ".join(c.name for c in MIRRORED)
        highest = self._watermark - 1
        with self._source.connect().execution_options(**options) as source, self._local.begin() as conn:
            duck: Any = conn.connection.driver_connection  # DuckDB's own connection: it reads DataFrames
            if postgres:  # the snapshot the rows below are read in; its xmin is the next watermark
                next_mark = int(source.exec_driver_sql(
                    "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint").scalar_one())
            changed = select(*MIRRORED, Report.change_stamp).where(Report.change_stamp >= self._watermark)
            for chunk in pd.read_sql(changed, source, dtype=DTYPES, chunksize=CHUNK_ROWS):
                if chunk.empty:
                    continue
                highest = max(highest, int(chunk["change_stamp"].max()))
                duck.register("changed", chunk)
                if not full:
                    duck.execute("DELETE FROM reports WHERE id IN (SELECT id FROM changed)")
                # New and changed reports land at the end in time order (a full copy is sorted once below).
                order = "" if full else " ORDER BY created_at"
                duck.execute(f"INSERT INTO reports ({names}) SELECT {names} FROM changed{order}")
                duck.unregister("changed")
            if full:
                # In time order: DuckDB skips row groups by their min/max, so a period's scan costs what
                # the period holds, not the whole table.
                duck.execute("CREATE TABLE reports_in_time AS SELECT * FROM reports ORDER BY created_at")
                duck.execute("DROP TABLE reports")
                duck.execute("ALTER TABLE reports_in_time RENAME TO reports")
            units = pd.read_sql(select(*UNITS), source, dtype={"parent_id": "Int64"})
            duck.register("units", units)
            duck.execute("DELETE FROM admin_units")
            duck.execute("INSERT INTO admin_units SELECT id, parent_id FROM units")
            duck.unregister("units")
            self.rows = int(duck.execute("SELECT count(*) FROM reports").fetchone()[0])
        # SQLite runs one writer at a time: nothing below the highest stamp read + 1 can still appear.
        self._watermark = next_mark if postgres else highest + 1


def rows_of(session: Session, query: Select[Any], filters: ReportFilter) -> list[Any]:
    """``query`` (over reports narrowed to ``filters``) answered by the session's copy when it can,
    else by the database: the same rows either way."""
    mirror = ReportMirror.of(session)
    if mirror is not None and mirror.can_answer(filters) and not _wrote_reports(session):
        try:
            rows = mirror.answer(query)
        except Exception:  # a fault in the copy must not blank the map: the database still knows
            log.exception("the map copy of the reports failed a query; asking the database")
            rows = None
        if rows is not None:
            return rows
    return list(session.execute(query))


def _wrote_reports(session: Session) -> bool:
    """True when the session's own transaction changed reports or wards it has not committed yet: the
    copy holds committed rows only, and the session must see its own writes."""
    if any(isinstance(o, (Report, AdminUnit)) for o in (*session.new, *session.dirty, *session.deleted)):
        return True
    return session.in_transaction() and bool(session.connection().info.get(WRITTEN))


def _give_back_freed_memory() -> None:
    """Hand the load's freed chunks back to the system: glibc would keep them (≈ 250 MB a million rows)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _table(name: str, columns: tuple[Any, ...]) -> Table:
    """A DuckDB table with these model columns' names and types (and nothing else)."""
    return Table(name, MetaData(), *(Column(c.name, c.type) for c in columns))
