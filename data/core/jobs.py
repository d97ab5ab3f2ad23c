"""Background jobs: one registry, run by RQ workers over Redis or by threads in embedded mode.

We use RQ (not Celery or Dramatiq): it needs nothing but the Redis we already run, has a cron
scheduler built in (RQ ≥ 2.5), jobs are plain functions, and a worker is one command. Celery's
broker/backends/beat are more than an IOC's few job kinds need; Dramatiq has no scheduler.

A job is a plain function ``fn(runtime, **kwargs)`` listed in ``JOBS``. RQ pickles only the job's
name and arguments; the worker process looks the function up here and hands it its Runtime.
"""

from __future__ import annotations

import importlib
import logging
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from data.core.errors import ConfigError
from data.core.job_runs import Run
from data.models import utcnow

if TYPE_CHECKING:
    import redis

    from data.core.runtime import Runtime
    from data.core.settings import Settings

log = logging.getLogger(__name__)

JobFunc = Callable[..., object]


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    interval_s: int
    demo_only: bool = False
    interval_setting: str | None = None  # a Settings field that overrides ``interval_s``


# Jobs by name; filled by ``register`` in the modules that own them (see ``load_jobs``).
JOBS: dict[str, JobFunc] = {}
SCHEDULE: list[ScheduledJob] = []


def register(name: str, every_s: int | None = None, demo_only: bool = False,
             every_setting: str | None = None) -> Callable[[JobFunc], JobFunc]:
    """Make ``fn(runtime, **kwargs)`` a job; with ``every_s`` it also runs on a schedule, every
    ``settings.<every_setting>`` seconds when that is given."""

    def wrap(fn: JobFunc) -> JobFunc:
        JOBS[name] = fn
        if every_s is not None and all(s.name != name for s in SCHEDULE):
            SCHEDULE.append(ScheduledJob(name, every_s, demo_only, every_setting))
        return fn

    return wrap


def job_modules() -> list[str]:
    """The modules of ``data`` that register jobs: found by their ``@register(`` lines, so a new job
    needs no second list of names (importing every module instead would load the command lines too)."""
    root = Path(__file__).resolve().parent.parent
    return sorted(".".join(("data", *path.relative_to(root).with_suffix("").parts)).removesuffix(".__init__")
                  for path in root.rglob("*.py")
                  if "migrations" not in path.parts and path.name != "jobs.py"
                  and "\n@register(" in path.read_text(encoding="utf-8"))


def load_jobs() -> None:
    """Import every module that registers jobs (once; Python caches the imports)."""
    for module in job_modules():
        importlib.import_module(module)


def schedule_for(settings: Settings) -> list[ScheduledJob]:
    """The scheduled jobs this deployment runs (demo jobs only in demo mode), at their set intervals:
    ``IOC_JOB_EVERY_S`` first, then the job's own setting, then its registered interval."""
    load_jobs()
    unknown = sorted(set(settings.job_every_s) - {s.name for s in SCHEDULE})
    if unknown:
        raise ConfigError(f"IOC_JOB_EVERY_S names no scheduled job: {', '.join(unknown)} "
                          f"(scheduled: {', '.join(sorted(s.name for s in SCHEDULE))})")
    return [replace(s, interval_s=_interval(settings, s)) for s in SCHEDULE if settings.demo or not s.demo_only]


def _interval(settings: Settings, job: ScheduledJob) -> int:
    if job.name in settings.job_every_s:
        return settings.job_every_s[job.name]
    return int(getattr(settings, job.interval_setting)) if job.interval_setting else job.interval_s


class JobRunner(Protocol):
    def enqueue(self, name: str, **kwargs: Any) -> None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


def run_job(runtime: Runtime, name: str, **kwargs: Any) -> object:
    """Run one job by name; errors are logged with the job's name and re-raised for the runner.

    A scheduled job stamps its start and end (data/core/job_runs.py): the health of the schedule."""
    load_jobs()
    scheduled = any(s.name == name for s in SCHEDULE)
    started, clock = utcnow(), time.perf_counter()
    if scheduled:
        runtime.job_runs.record(name, Run(started))
    try:
        result = JOBS[name](runtime, **kwargs)
    except Exception:
        log.exception("job %s failed", name)
        if scheduled:
            runtime.job_runs.record(name, Run(started, utcnow(), ok=False))
        raise
    if scheduled:
        runtime.job_runs.record(name, Run(started, utcnow(), ok=True))
    log.debug("job %s done in %.0f ms", name, (time.perf_counter() - clock) * 1000)
    return result


class InProcessJobs:
    """Embedded mode: queued jobs on a small thread pool, scheduled jobs on one loop thread."""

    def __init__(self, runtime: Runtime, schedule: list[ScheduledJob]) -> None:
        self._runtime = runtime
        self._schedule = schedule
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ioc-job")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="ioc-scheduler", daemon=True)
        self.failures = 0

    def enqueue(self, name: str, **kwargs: Any) -> None:
        self._pool.submit(self._safe_run, name, kwargs)

    def _safe_run(self, name: str, kwargs: dict[str, Any]) -> None:
        try:
            run_job(self._runtime, name, **kwargs)
        except Exception:  # noqa: BLE001 - logged in run_job; one bad pass never stops the loop
            self.failures += 1

    def start(self) -> None:
        if self._schedule:
            self._thread.start()

    def _loop(self) -> None:
        due = {s.name: time.monotonic() + min(s.interval_s, 5) for s in self._schedule}
        while not self._stop.wait(0.5):
            now = time.monotonic()
            for job in self._schedule:
                if now >= due[job.name]:
                    due[job.name] = now + job.interval_s
                    self._safe_run(job.name, {})

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)


# The worker process's Runtime, bound once by ``data.worker.main``: RQ calls plain functions.
_WORKER_RUNTIME: list[Runtime] = []


def bind_worker_runtime(runtime: Runtime) -> None:
    _WORKER_RUNTIME[:] = [runtime]


def rq_entry(name: str, kwargs: dict[str, Any]) -> object:
    """What RQ executes: look the job up and run it with this worker's Runtime."""
    if not _WORKER_RUNTIME:
        raise RuntimeError("no Runtime bound: start workers with `python -m data.worker`")
    return run_job(_WORKER_RUNTIME[0], name, **kwargs)


class RqJobs:
    """Production: jobs go to a Redis queue that ``python -m data.worker`` processes.

    With ``run_worker`` (``python app.py`` with IOC_REDIS_URL and IOC_RUN_WORKERS=true) this process
    starts that worker as its child and stops it at shutdown: the same worker as in production, its
    own process (it forks a process per job, which a threaded web server must not do).
    """

    def __init__(self, client: redis.Redis, queue_name: str, run_worker: bool = False) -> None:
        from rq import Queue, Retry

        self._queue = Queue(queue_name, connection=client)
        self._retry = Retry(max=3, interval=[5, 30, 120])
        self._run_worker = run_worker
        self._child: subprocess.Popen[bytes] | None = None

    def enqueue(self, name: str, **kwargs: Any) -> None:
        self._queue.enqueue(rq_entry, name, kwargs, retry=self._retry, description=name)

    def start(self) -> None:
        """Start the worker child when this process runs the jobs; otherwise workers run elsewhere."""
        if self._run_worker and self._child is None:
            from data.core.worker_process import spawn_worker

            self._child = spawn_worker()
            log.info("jobs: python -m data.worker runs them (pid %s)", self._child.pid)

    def stop(self) -> None:
        """Stop the worker child (it finishes the job in hand first)."""
        if self._child is not None:
            from data.core.worker_process import stop_worker

            stop_worker(self._child)
            self._child = None
