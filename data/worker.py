"""Worker process: ``python -m data.worker`` runs the RQ queue and the job schedule over Redis.

It outlives Redis, however long Redis is gone, and needs no restart afterwards:

- RQ's worker loop waits out an outage while idle but quits when the outage hits a job in hand; a
  worker that quit without being asked to is replaced as soon as Redis answers (``keep_working``);
- the schedule is kept by one worker at a time, the holder of a lock in Redis. RQ's own cron loop
  (``CronScheduler.start``) dies on the first connection error, so ``ScheduleLead`` runs the passes:
  each one holds or re-takes the lock (a Redis restarted without its data lost it) and enqueues what
  is due; after an outage every job is due at once, since what was queued may be gone with Redis;
- each job runs in a forked process that drops the database connections it inherited
  (``Runtime.after_fork``): two processes on one psycopg connection fail each other's statements.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from types import FrameType

import redis
from redis.exceptions import LockError
from rq import Queue, Worker
from rq.cron import CronScheduler

from data.core.errors import ConfigError
from data.core.jobs import ScheduledJob, bind_worker_runtime, rq_entry, schedule_for
from data.core.runtime import Runtime
from data.core.settings import load_settings
from data.runtime import build_runtime

log = logging.getLogger("ioc.worker")
LEADER_TTL_S = 30  # the lead of a worker that died passes to another within this
TICK_S = 1.0  # a pass of the schedule (the shortest job interval is 5 s)
REDIS_WAIT_MAX_S = 5.0  # the end of an outage is noticed within this (RQ's own backoff grows to 60 s)
RESTART_PAUSE_S = 1.0  # between two RQ workers, so a worker that cannot start never spins


class ScheduleLead:
    """The job schedule, enqueued by whichever worker holds the lead: a loop with one stop event."""

    def __init__(self, client: redis.Redis, cron: CronScheduler, prefix: str) -> None:
        self._cron = cron
        # thread_local=False: the lock is taken and extended from this loop's thread, released at stop.
        self._lock = client.lock(f"{prefix}:cron-leader", timeout=LEADER_TTL_S, thread_local=False)
        self._outage = False
        self.leading = False
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.tick()
            except redis.RedisError as exc:
                if not self._outage:
                    log.warning("schedule: Redis unreachable (%s); trying again every %.0f s", exc, TICK_S)
                self._outage = True
            except Exception:
                log.exception("schedule: a pass failed")
            self.stop.wait(TICK_S)
        self._resign()

    def tick(self) -> None:
        """One pass: hold (or take) the lead, then enqueue the jobs that are due."""
        leading = self._hold_lead()
        recovered, self._outage = self._outage, False
        if recovered:
            log.info("schedule: Redis answers again")
        if not leading:
            return
        if recovered:
            self._all_due()
        if self._cron.enqueue_jobs():
            self._cron.save()
        self._cron.heartbeat()

    def _hold_lead(self) -> bool:
        if self.leading:
            try:
                self._lock.extend(LEADER_TTL_S, replace_ttl=True)
                return True
            except LockError:  # Redis restarted without its data, or the lease ran out and another took it
                self.leading = False
                log.warning("schedule: this worker lost the lead; taking it again if it is free")
        if self._lock.acquire(blocking=False):
            self.leading = True
            self._cron.register_birth()
            log.info("this worker runs the job schedule")
        return self.leading

    def _all_due(self) -> None:
        log.info("schedule: every job runs now, to catch up after the outage")
        for job in self._cron.get_jobs():
            job.latest_enqueue_time = job.next_enqueue_time = None

    def _resign(self) -> None:
        """At shutdown, hand the lead over at once rather than after its lease."""
        if not self.leading:
            return
        try:
            self._lock.release()
            self._cron.register_death()
        except (redis.RedisError, LockError) as exc:
            log.info("schedule: the lead lapses by itself (%s)", exc)
        self.leading = False


class IocWorker(Worker):
    """RQ's forking worker that reports a stop request (SIGTERM/SIGINT) to ``keep_working``."""

    max_connection_wait_time = REDIS_WAIT_MAX_S

    def __init__(self, *args: object, stop: threading.Event, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.stop_asked = stop

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop_asked.set()
        super().request_stop(signum, frame)


def keep_working(runtime: Runtime, queue_name: str, stop: threading.Event) -> None:
    """Run RQ's worker until a stop is asked; one that Redis made quit is replaced once Redis answers."""
    client = runtime.redis
    assert client is not None
    while not stop.is_set():
        try:
            worker = IocWorker([Queue(queue_name, connection=client)], connection=client, stop=stop)
            worker.work(with_scheduler=True)
        except Exception as exc:  # noqa: BLE001 - its start and its teardown talk to Redis too
            log.warning("worker: RQ's worker ended on %s: %s", type(exc).__name__, exc)
        _own_signals(stop)  # RQ's handlers belong to the worker that ended
        if stop.is_set():
            return
        log.warning("worker: RQ's worker quit without being asked (Redis unreachable?); "
                    "a new one starts once Redis answers")
        stop.wait(RESTART_PAUSE_S)
        wait_for_redis(client, stop)


def wait_for_redis(client: redis.Redis, stop: threading.Event) -> None:
    """Return once Redis answers a ping (or a stop is asked), trying more slowly up to every 5 s."""
    delay = 0.25
    while not stop.is_set():
        try:
            client.ping()
            return
        except redis.RedisError:
            stop.wait(delay)
            delay = min(delay * 2, REDIS_WAIT_MAX_S)


def _own_signals(stop: threading.Event) -> None:
    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)


def _cron(client: redis.Redis, queue_name: str, schedule: list[ScheduledJob]) -> CronScheduler:
    cron = CronScheduler(connection=client)
    # Jobs due together are queued in this order: the most frequent first, so at start and after an
    # outage the sweep of new reports (every 5 s) runs before the hourly and daily jobs.
    for job in sorted(schedule, key=lambda j: j.interval_s):
        cron.register(rq_entry, queue_name=queue_name, args=(job.name, {}), interval=job.interval_s, name=job.name)
    return cron


def _watch_parent(parent: int, stop: threading.Event) -> None:
    """A worker started by ``python app.py`` stops when that process is gone, even killed."""
    while not stop.wait(1.0):
        if os.getppid() != parent:
            log.warning("worker: the process that started it (pid %s) is gone; stopping", parent)
            os.kill(os.getpid(), signal.SIGTERM)
            return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--parent", type=int, help="stop when the process with this pid is gone")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        if settings.redis_url is None:
            raise ConfigError("IOC_REDIS_URL is not set: in embedded mode `python app.py` runs the jobs.")
        schedule = schedule_for(settings)
        runtime = build_runtime(settings, redis_socket_timeout=None)  # see connect_redis
    except ConfigError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    bind_worker_runtime(runtime)
    os.register_at_fork(after_in_child=runtime.after_fork)
    assert runtime.redis is not None
    stop = threading.Event()
    _own_signals(stop)
    queue_name = f"{settings.redis_prefix}-jobs"
    lead = ScheduleLead(runtime.redis, _cron(runtime.redis, queue_name, schedule), settings.redis_prefix)
    schedule_thread = threading.Thread(target=lead.run, name="ioc-schedule", daemon=True)
    schedule_thread.start()
    if args.parent:
        threading.Thread(target=_watch_parent, args=(args.parent, stop), name="ioc-parent", daemon=True).start()
    try:
        keep_working(runtime, queue_name, stop)
    finally:
        stop.set()
        lead.stop.set()
        schedule_thread.join(timeout=5)
        runtime.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
