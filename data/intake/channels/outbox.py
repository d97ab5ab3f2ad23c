"""The outbox sender: replies to citizens, committed with their report, delivered and retried by a job.

Each pass claims due rows one at a time: on PostgreSQL ``SELECT … FOR UPDATE SKIP LOCKED`` keeps two
workers off the same row, and on every database the claim is a compare-and-set on ``attempts`` that
also pushes ``next_attempt_at`` a lease ahead. The message is then sent with no transaction open; a
worker that dies mid-send leaves the row to be retried when the lease ends (at-least-once delivery).
A failure waits ``BACKOFF_BASE_S · 2^(attempts-1)`` (at most an hour) before the next try, and after
``MAX_ATTEMPTS`` the row is marked failed. Rows of a channel not configured stay pending.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from data.core.jobs import register
from data.intake.channels.registry import CHANNELS, reply_channel
from data.models import Outbox, utcnow

if TYPE_CHECKING:
    from data.core.runtime import Runtime

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE_S = 30
BACKOFF_MAX_S = 3600
LEASE_S = 120  # longer than any send's timeouts: a claimed row is not claimed again meanwhile


@dataclass(frozen=True)
class Claimed:
    id: int
    channel: str
    recipient: str
    body: str
    attempts: int


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure."""
    return timedelta(seconds=min(BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), BACKOFF_MAX_S))


def claim(runtime: Runtime, channels: list[str], now: datetime) -> Claimed | None:
    """Take one due row for this worker, or None when nothing is due."""
    with runtime.session() as session:
        query = (
            select(Outbox)
            .where(Outbox.status == "pending", Outbox.next_attempt_at <= now, Outbox.channel.in_(channels))
            .order_by(Outbox.next_attempt_at, Outbox.id)
            .limit(1)
        )
        if runtime.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = session.scalar(query)
        if row is None:
            return None
        taken = session.execute(
            update(Outbox)
            .where(Outbox.id == row.id, Outbox.attempts == row.attempts, Outbox.status == "pending")
            .values(attempts=row.attempts + 1, next_attempt_at=now + timedelta(seconds=LEASE_S))
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]  # another worker claimed it first
            return None
        return Claimed(row.id, row.channel, row.recipient, row.body, row.attempts + 1)


def deliver(runtime: Runtime, row: Claimed) -> bool:
    """Send one claimed row and record the outcome; True when it was sent."""
    adapter = reply_channel(row.channel, runtime.settings)
    error: str | None = None
    try:
        if adapter is None:
            raise ValueError(f"no sender for channel {row.channel}")
        adapter.send(row.recipient, row.body)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the row and retried
        error = (getattr(exc, "message", None) or str(exc) or type(exc).__name__)[:500]
    now = utcnow()
    with runtime.session() as session:
        outbox = session.get(Outbox, row.id)
        assert outbox is not None
        if error is None:
            outbox.status, outbox.sent_at, outbox.last_error = "sent", now, None
        elif row.attempts >= MAX_ATTEMPTS:
            outbox.status, outbox.last_error = "failed", error
        else:
            outbox.next_attempt_at, outbox.last_error = now + backoff(row.attempts), error
    if error is not None:
        log.warning("outbox %s: %s message %s not sent (try %s): %s", row.channel, row.channel, row.id,
                    row.attempts, error)
    return error is None


def ready_channels(runtime: Runtime) -> list[str]:
    """Channels whose replies can be sent now; the others' rows wait, neither tried nor failed."""
    ready = []
    for name in CHANNELS:
        adapter = reply_channel(name, runtime.settings)
        if adapter is not None and adapter.missing_setting() is None:
            ready.append(name)
    return ready


@register("outbox.send", every_s=10)
def send_pending(runtime: Runtime, limit: int = 100) -> int:
    """Send up to ``limit`` due replies; returns how many were sent."""
    channels = ready_channels(runtime)
    sent = 0
    for _ in range(limit if channels else 0):
        row = claim(runtime, channels, utcnow())
        if row is None:
            break
        sent += deliver(runtime, row)
    return sent
