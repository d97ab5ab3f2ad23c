"""The live resources of one process (engine, sessions, Redis, bus, jobs): what every job and page is handed.

``data.runtime`` builds it from the settings; this module only says what it holds, so that every domain
can name the type without importing the composition root.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from data.core.db import session_scope

if TYPE_CHECKING:
    import redis
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from data.core.bus import EventBus
    from data.core.cache import Answers
    from data.core.job_runs import JobRuns
    from data.core.jobs import JobRunner
    from data.core.settings import Settings


class Background(Protocol):
    """A watch running beside the process (e.g. the sweep watch), stopped when the runtime closes."""

    def stop(self) -> None: ...


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    redis: redis.Redis | None
    bus: EventBus
    answers: Answers
    job_runs: JobRuns
    jobs: JobRunner = field(init=False)
    sweep_watch: Background | None = field(default=None, init=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits at the end of the block, rolls back on error."""
        with session_scope(self.sessions) as session:
            yield session

    def key(self, *parts: str) -> str:
        """A Redis key under this deployment's prefix."""
        return ":".join((self.settings.redis_prefix, *parts))

    def after_fork(self) -> None:
        """In a forked child (an RQ job): never reuse the parent's pooled database connections.

        Two processes on one connection interleave their statements; psycopg's prepared statements then
        clash ("prepared statement _pg3_0 already exists") and jobs fail. ``close=False`` only drops the
        child's references: the parent keeps its connections open (psycopg never closes a connection
        from a process other than the one that opened it). Redis's pool reconnects after a fork by itself.
        """
        self.engine.dispose(close=False)

    def close(self) -> None:
        if self.sweep_watch is not None:
            self.sweep_watch.stop()
        self.jobs.stop()
        self.engine.dispose()
        if self.redis is not None:
            self.redis.close()
