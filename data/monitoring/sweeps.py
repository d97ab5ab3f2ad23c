"""The watch that tells operators when new reports stop being processed.

Over Redis the only path that processes reports is the ``reports.process_pending`` sweep, run every few
seconds by ``python -m data.worker``. If it stops (no worker, a dead schedule, Redis gone), reports pile
up unrouted and nothing else would say so. So every run of a scheduled job stamps its start and end
(in Redis beside the queue, shared by every process; in this process when embedded), and each web
process watches the sweep's stamp: when no sweep has started for ``job_stall_after_s`` it raises one
alert (critical: it pops up on every operator screen) and closes it, with a note, once sweeps run again.
``/healthz`` shows the same stamp (``data.service_health``).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from data.alerts.events import OPEN_STATUSES, act, published, raise_alert
from data.models import Alert, utcnow

if TYPE_CHECKING:

    from data.core.runtime import Runtime


log = logging.getLogger(__name__)
SWEEP = "reports.process_pending"  # the job whose silence is an alert


ALERT_KIND = "jobs"


WATCH_EVERY_S = 15.0


WATCH_LOCK_ID = 4_827_312  # PostgreSQL advisory lock: several web processes never raise it twice


def stalled(last_started: datetime | None, watching_since: datetime, now: datetime, limit_s: int) -> bool:
    """True when a sweep was seen and none has started for ``limit_s`` since (0 = never).

    A sweep never seen is not an alert: a web process with no job runner anywhere (tests, a web-only
    deployment being set up) would raise one a minute after every start. ``/healthz`` shows it instead.
    """
    if limit_s <= 0 or last_started is None:
        return False
    return now - max(last_started, watching_since) > timedelta(seconds=limit_s)


class SweepWatch:
    """A loop with one stop event: every 15 s, raise or close the alert for a silent report sweep."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._since = utcnow()
        self._last_started: datetime | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="ioc-sweep-watch", daemon=True)

    def start(self) -> None:
        if self._runtime.settings.job_stall_after_s > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(WATCH_EVERY_S):
            try:
                self.check(utcnow())
            except Exception:  # the database may be down too; look again next time
                log.exception("sweep watch: check failed")

    def check(self, now: datetime) -> str | None:
        """Read the sweep's stamp (the last one seen if Redis is unreachable), then raise or close the
        alert; returns "raised", "closed" or None."""
        try:
            run = self._runtime.job_runs.last().get(SWEEP)
        except Exception as exc:  # noqa: BLE001 - Redis down: sweeps cannot run either, so time runs on
            log.warning("sweep watch: cannot read the job stamps: %s", exc)
            run = None
        if run is not None and (self._last_started is None or run.started > self._last_started):
            self._last_started = run.started
        late = stalled(self._last_started, self._since, now, self._runtime.settings.job_stall_after_s)
        return settle_alert(self._runtime, late, self._last_started, now)


def settle_alert(runtime: Runtime, late: bool, last_started: datetime | None, now: datetime) -> str | None:
    """One open alert while the sweep is late, none otherwise; the change is announced after the commit."""
    with runtime.session() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": WATCH_LOCK_ID})
        alert = session.scalar(select(Alert).where(Alert.kind == ALERT_KIND, Alert.source_ref == SWEEP,
                                                   Alert.status.in_(OPEN_STATUSES)).limit(1))
        if late and alert is None:
            alert, action = _raise(runtime, session, last_started, now), "raised"
        elif not late and alert is not None and last_started is not None:
            seen = _local_time(runtime, last_started)
            alert = act(session, alert.id, "close", user_id=None, now=now,
                        note=f"Đã tự động đóng: việc xử lý phản ánh chạy lại lúc {seen}.")
            action = "close"
        else:
            return None
    published(runtime, alert, action)
    return "raised" if action == "raised" else "closed"


def _raise(runtime: Runtime, session: Session, last_started: datetime | None, now: datetime) -> Alert:
    minutes = max(1, round((now - (last_started or now)).total_seconds() / 60))
    return raise_alert(
        session, kind=ALERT_KIND, severity="critical", source="jobs", source_ref=SWEEP, now=now,
        title=f"Phản ánh mới không được xử lý: tác vụ nền dừng {minutes} phút",
        message=(f"Lần quét phản ánh ({SWEEP}) gần nhất bắt đầu lúc {_local_time(runtime, last_started)}. "
                 "Phản ánh vẫn được nhận và lưu, nhưng chưa được phân loại và chuyển đơn vị. Kiểm tra tiến "
                 "trình `python -m data.worker` và Redis (xem /healthz)."),
    )


def _local_time(runtime: Runtime, at: datetime | None) -> str:
    """A stamp as the city reads it: its own time zone."""
    if at is None:
        return "—"
    return at.replace(tzinfo=UTC).astimezone(runtime.settings.tz).strftime("%H:%M:%S %d/%m/%Y")
