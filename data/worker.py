"""Worker process: ``python -m data.worker`` runs the RQ queue and the job schedule over Redis."""

from __future__ import annotations

import logging
import sys
import threading
import time

import redis
from redis.lock import Lock
from rq import Queue, Worker
from rq.cron import CronScheduler

from data.errors import ConfigError
from data.jobs import bind_worker_runtime, rq_entry, schedule_for
from data.runtime import build_runtime
from data.settings import load_settings

log = logging.getLogger("ioc.worker")
LEADER_TTL_S = 60


class ThreadCron(CronScheduler):
    """RQ's cron scheduler, run in a thread beside the worker.

    Python lets only the main thread install signal handlers; the worker (main thread) owns SIGTERM/
    SIGINT and the scheduler thread is a daemon that ends with the process.
    """

    def _install_signal_handlers(self) -> None:
        pass


def _lead_cron(client: redis.Redis, cron: CronScheduler, prefix: str) -> None:
    """Run the schedule in one worker only: several workers would enqueue every job several times."""
    # thread_local=False: the lock is taken here and extended from the keep-alive thread.
    lock = client.lock(f"{prefix}:cron-leader", timeout=LEADER_TTL_S, thread_local=False)
    while not lock.acquire(blocking=False):
        time.sleep(LEADER_TTL_S / 3)
    threading.Thread(target=_keep_lock, args=(lock,), name="ioc-cron-lock", daemon=True).start()
    log.info("this worker runs the job schedule")
    cron.start()


def _keep_lock(lock: Lock) -> None:
    while True:
        time.sleep(LEADER_TTL_S / 3)
        lock.extend(LEADER_TTL_S, replace_ttl=True)


def main() -> int:
    try:
        settings = load_settings()
        if settings.redis_url is None:
            raise ConfigError("IOC_REDIS_URL is not set: in embedded mode `python app.py` runs the jobs.")
        runtime = build_runtime(settings, redis_socket_timeout=None)  # see connect_redis
    except ConfigError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    bind_worker_runtime(runtime)
    assert runtime.redis is not None
    queue_name = f"{settings.redis_prefix}-jobs"
    cron = ThreadCron(connection=runtime.redis)
    for job in schedule_for(settings):
        cron.register(rq_entry, queue_name=queue_name, args=(job.name, {}), interval=job.interval_s,
                      name=job.name)
    threading.Thread(target=_lead_cron, args=(runtime.redis, cron, settings.redis_prefix),
                     name="ioc-cron", daemon=True).start()
    worker = Worker([Queue(queue_name, connection=runtime.redis)], connection=runtime.redis)
    worker.work(with_scheduler=True)
    runtime.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
