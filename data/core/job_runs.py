"""When each scheduled job last ran: stamped at its start and end, in Redis beside the queue (shared by
every process) or in this process when embedded. ``data.monitoring.sweeps`` watches these stamps.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis


log = logging.getLogger(__name__)

STAMP_TTL_S = 7 * 86400  # a job removed from the schedule leaves Redis after a week


@dataclass(frozen=True)
class Run:
    """A scheduled job's last start and, once it ended, its end and outcome (naive UTC)."""

    started: datetime
    finished: datetime | None = None
    ok: bool | None = None

    def to_json(self) -> str:
        return json.dumps({"started": self.started.isoformat(), "ok": self.ok,
                           "finished": self.finished.isoformat() if self.finished else None})

    @classmethod
    def from_json(cls, raw: str | bytes) -> Run:
        data = json.loads(raw)
        finished = datetime.fromisoformat(data["finished"]) if data.get("finished") else None
        return cls(datetime.fromisoformat(data["started"]), finished, data.get("ok"))


class JobRuns:
    """The last run of each scheduled job: a Redis hash shared by every process, or a dict when embedded."""

    def __init__(self, client: redis.Redis | None, prefix: str) -> None:
        self._redis = client
        self._key = f"{prefix}:job-runs"
        self._local: dict[str, Run] = {}
        self._lock = threading.Lock()

    def record(self, name: str, run: Run) -> None:
        """Stamp a run; never fails the job (a stamp that cannot be written is logged)."""
        if self._redis is None:
            with self._lock:
                self._local[name] = run
            return
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                pipe.hset(self._key, name, run.to_json())
                pipe.expire(self._key, STAMP_TTL_S)
                pipe.execute()
        except Exception as exc:  # noqa: BLE001 - the job's work is done; only its stamp is missing
            log.warning("job %s: could not stamp its run: %s", name, exc)

    def last(self) -> dict[str, Run]:
        """Every job's last run; raises redis.RedisError when Redis cannot be read."""
        if self._redis is None:
            with self._lock:
                return dict(self._local)
        raw = self._redis.hgetall(self._key)
        return {(k.decode() if isinstance(k, bytes) else k): Run.from_json(v) for k, v in raw.items()}


