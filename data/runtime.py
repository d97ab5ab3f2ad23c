"""The live resources of one process (engine, sessions, Redis, bus, jobs), built from the settings."""

from __future__ import annotations

import logging

import redis

from data.core.bus import EventBus, LocalBus, RedisBus
from data.core.cache import Answers, watch_report_writes
from data.core.db import check_connection, make_engine, make_sessionmaker, migrate
from data.core.errors import ConfigError
from data.core.job_runs import JobRuns
from data.core.jobs import InProcessJobs, RqJobs, schedule_for
from data.core.runtime import Runtime
from data.core.settings import Settings
from data.geo import postgis
from data.monitoring.sweeps import SweepWatch
from data.reports.mirror import SESSION_KEY, ReportMirror

log = logging.getLogger(__name__)


def connect_redis(url: str, socket_timeout: float | None = 5.0) -> redis.Redis:
    """Connect and ping Redis; an unreachable server is one clear ConfigError.

    A read timeout keeps a stalled Redis from hanging web requests; a job worker passes None, since
    its blocking dequeue waits on the socket for minutes by design (redis-py 8's default of 5 s made
    RQ's worker drop its connection every 5 s and stop taking jobs).
    """
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=socket_timeout,
                                  health_check_interval=30)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ConfigError(f"Cannot reach Redis at {url} (IOC_REDIS_URL): {exc}") from None
    return client


def build_runtime(settings: Settings, *, run_jobs_here: bool = False, migrate_db: bool = True,
                  redis_socket_timeout: float | None = 5.0) -> Runtime:
    """Connect to the database (and Redis), migrate, and choose in-process or RQ jobs.

    ``run_jobs_here``: this process also runs the jobs: on threads when embedded, else through a
    ``python -m data.worker`` child it starts with ``jobs.start()`` (``python app.py`` with Redis)."""
    engine = make_engine(settings.database_url)
    check_connection(engine)
    if migrate_db:
        migrate(engine)
    if settings.postgis == "on":  # required: refuse to start, saying how to install it, not at the first report
        with engine.connect() as conn:
            try:
                postgis.in_use(conn, "on")
            except ConfigError:
                engine.dispose()
                raise
    client = connect_redis(settings.redis_url, redis_socket_timeout) if settings.redis_url else None
    bus: EventBus = RedisBus(client, settings.redis_prefix) if client else LocalBus()
    answers = Answers(client, settings.redis_prefix)
    watch_report_writes(engine, answers)
    sessions = make_sessionmaker(engine)
    if settings.map_copy:  # the density layer finds it on its session (loaded at first use)
        sessions.configure(info={SESSION_KEY: ReportMirror(engine, answers.generation)})
    runtime = Runtime(settings, engine, sessions, client, bus, answers, JobRuns(client, settings.redis_prefix))
    if client is None:
        schedule = schedule_for(settings) if run_jobs_here else []
        runtime.jobs = InProcessJobs(runtime, schedule)
    else:
        runtime.jobs = RqJobs(client, f"{settings.redis_prefix}-jobs", run_worker=run_jobs_here)
    return runtime


def watch_sweeps(runtime: Runtime) -> None:
    """Raise an alert when new reports stop being processed (a serving process calls this once)."""
    if runtime.sweep_watch is None:
        watch = SweepWatch(runtime)
        watch.start()
        runtime.sweep_watch = watch
