"""Aggregated answers (the map's density cells and choropleth) cached across every web worker.

An answer is stored under the current *reports generation*, and every committed write to the reports
or their history bumps that generation, which retires all cached answers at once: nobody sees a
count older than the last report. The bump hangs on the engine's events, so no write path (intake,
workflow, processing, imports, raw SQL) can forget it; only COPY, which bypasses SQLAlchemy, marks
its connection itself (``data.core.db``). With Redis both the generation and the answers are shared by
the gunicorn workers and the job workers; embedded, they live in this process.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Engine, event

if TYPE_CHECKING:
    import redis


log = logging.getLogger(__name__)
T = TypeVar("T")

# The tables cached answers are computed from (the wards' shapes too); a statement changing one of
# them (the CTE of an Open311 insert included) retires the answers.
WRITES_REPORTS_TABLES = ("reports", "report_events", "admin_units")
_WRITES_REPORTS = re.compile(
    r"\b(insert\s+into|update|delete\s+from)\s+\"?(" + "|".join(WRITES_REPORTS_TABLES) + r")\b", re.I)
WRITTEN = "ioc_reports_written"  # Connection.info flag: this transaction changed reports
BUMP_DUE = "ioc_reports_bump_due"  # ... and has committed: bump when the connection is returned
ANSWER_TTL_S = 600  # a backstop: answers nobody asks for again leave Redis
LOCAL_ANSWERS = 256  # embedded: answers kept in memory (least recently used dropped)
QUIET_S = 30.0  # while Redis is down, one line per this many seconds instead of a traceback per write


class Answers:
    """``get(namespace, key, compute)``: the cached answer of this generation, else ``compute()``'s."""

    def __init__(self, client: redis.Redis | None, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix
        self._generation = 0  # embedded only; with Redis the generation lives there
        self._local: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._quiet_until = 0.0

    def _failed(self, what: str) -> None:
        """Log a failed cache call: an outage of Redis is one line every QUIET_S (each report written
        would otherwise print a traceback), anything else is a bug and keeps its traceback."""
        import redis

        if not isinstance(sys.exc_info()[1], redis.RedisError):
            log.exception("answer cache: %s", what)
        elif time.monotonic() >= self._quiet_until:
            self._quiet_until = time.monotonic() + QUIET_S
            log.warning("answer cache: %s (%s); Redis unreachable, answers are computed until it returns",
                        what, sys.exc_info()[1])

    @property
    def _generation_key(self) -> str:
        return f"{self._prefix}:reports-generation"

    def generation(self) -> int:
        if self._redis is None:
            return self._generation
        return int(self._redis.get(self._generation_key) or 0)

    def reports_changed(self) -> None:
        """Retire every cached answer (called after a commit that wrote reports)."""
        if self._redis is None:
            with self._lock:
                self._generation += 1
                self._local.clear()
            return
        try:
            self._redis.incr(self._generation_key)
        except Exception:  # noqa: BLE001 - logged by _failed; the write is committed, a cache must not fail it
            self._failed(f"could not retire cached answers; they expire within {ANSWER_TTL_S} s")

    def get(self, namespace: str, key: Any, compute: Callable[[], T]) -> T:
        """The answer for ``key`` (anything JSON can encode), computed at most once per generation."""
        digest = hashlib.sha1(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()
        try:
            name = f"{self._prefix}:answer:{namespace}:{self.generation()}:{digest}"
            if self._redis is None:
                with self._lock:
                    if name in self._local:
                        self._local.move_to_end(name)
                        return self._local[name]
            else:
                raw = self._redis.get(name)
                if raw is not None:
                    return json.loads(raw)
        except Exception:  # noqa: BLE001 - logged by _failed; no cache is slower, not wrong
            self._failed(f"unreachable; computing {namespace}")
            return compute()
        value = compute()
        if self._redis is None:
            with self._lock:
                self._local[name] = value
                while len(self._local) > LOCAL_ANSWERS:
                    self._local.popitem(last=False)
        else:
            try:
                self._redis.set(name, json.dumps(value), ex=ANSWER_TTL_S)
            except Exception:  # noqa: BLE001 - logged by _failed
                self._failed(f"could not cache {namespace}")
        return value


def watch_report_writes(engine: Engine, answers: Answers) -> None:
    """Bump the reports generation once a transaction that wrote reports has committed.

    The engine's ``commit`` event comes *before* the database commits, so the bump waits for the
    connection's return to the pool (after the commit): a reader can never cache, under the new
    generation, an answer that misses the write.
    """

    @event.listens_for(engine, "after_cursor_execute")
    def _seen(conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        if not _WRITES_REPORTS.search(statement):
            return
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            answers.reports_changed()  # committed already
        else:
            conn.info[WRITTEN] = True

    @event.listens_for(engine, "commit")
    def _committing(conn: Connection) -> None:
        if conn.info.pop(WRITTEN, False):
            conn.info[BUMP_DUE] = True

    @event.listens_for(engine, "rollback")
    def _rolled_back(conn: Connection) -> None:
        conn.info.pop(WRITTEN, None)
        conn.info.pop(BUMP_DUE, None)

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi: Any, record: Any) -> None:
        if record is not None and record.info.pop(BUMP_DUE, False):
            answers.reports_changed()
