"""API keys of Open311 clients: shown once when created, stored only as their SHA-256.

CLI (the database comes from the settings, ``IOC_DATABASE_URL``)::

    python -m data.apikeys create "Ứng dụng Hue-S"   # prints the new key once
    python -m data.apikeys list
    python -m data.apikeys revoke ID
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from data.accounts import audit
from data.core.errors import FieldError, IocError, NotFound
from data.models import ApiKey, Channel, utcnow

KEY_PREFIX = "ioc311_"
# The channels whose endpoints take a key: Open311 clients, sensor stations, shore stations of boats.
KEY_CHANNELS = (Channel.OPEN311.value, "sensors", "vessels")
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is a hint, not an audit log: one write a minute at most


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_api_key(session: Session, name: str, channel: str = Channel.OPEN311) -> tuple[ApiKey, str]:
    """A new active key: the row (holding only the hash) and the key itself, to show once."""
    name = name.strip()
    if not name:
        raise IocError("Cần đặt tên cho khoá API (ai dùng nó).")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(name=name[:200], key_hash=hash_key(key), channel=channel, active=True, created_at=utcnow())
    session.add(row)
    session.flush()
    return row, key


def check_api_key(session: Session, key: str | None) -> ApiKey | None:
    """The active key with this value, or None; notes when it was used (at most once a minute)."""
    if not key or len(key) > 200:
        return None
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key), ApiKey.active.is_(True)))
    if row is None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        # A conditional UPDATE: many workers seeing the same stale time write it once, not N times.
        session.execute(
            update(ApiKey)
            .where(ApiKey.id == row.id, ApiKey.last_used_at.is_(None) | (ApiKey.last_used_at < now - TOUCH_EVERY))
            .values(last_used_at=now)
        )
    return row


class ApiKeyCache:
    """Keys recently found valid, so that a busy client costs no database query per request.

    Owned by one web worker (the Open311 blueprint). A revoked key keeps working on a worker for at
    most ``ttl_s`` seconds; after that the database (and ``last_used_at``) is consulted again.
    """

    def __init__(self, ttl_s: float = 30.0, max_keys: int = 1000) -> None:
        self._ttl_s = ttl_s
        self._max_keys = max_keys
        self._valid: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def check(self, session: Session, key: str | None) -> int | None:
        """The id of the active key ``key``, or None (a wrong key is never cached)."""
        if not key or len(key) > 200:
            return None
        digest, now = hash_key(key), time.monotonic()
        with self._lock:
            hit = self._valid.get(digest)
        if hit is not None and now - hit[1] < self._ttl_s:
            return hit[0]
        row = check_api_key(session, key)
        if row is None:
            with self._lock:
                self._valid.pop(digest, None)
            return None
        with self._lock:
            if len(self._valid) >= self._max_keys:
                self._valid.clear()
            self._valid[digest] = (row.id, now)
        return row.id


def revoke_api_key(session: Session, key_id: int) -> ApiKey:
    row = _key_row(session, key_id)
    row.active = False
    return row


def key_rows(session: Session) -> list[ApiKey]:
    """Every key, newest first (their hashes only: a key is never shown again)."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id.desc())))


def _shown(row: ApiKey) -> dict[str, object]:
    return {"name": row.name, "channel": row.channel, "active": row.active}


def issue_key(session: Session, who: audit.Who, name: str, channel: str) -> tuple[ApiKey, str]:
    """An admin's new key (audited); the key itself is returned once and stored only as its hash."""
    if not name.strip():
        raise FieldError("name", "name_required", "Cần đặt tên cho khoá API: ai hoặc ứng dụng nào dùng nó "
                                                  "(name required).")
    if channel not in KEY_CHANNELS:
        raise FieldError("channel", "unknown_channel", f"Kênh «{channel}» không nhận khoá API; chọn một trong: "
                                                       f"{', '.join(KEY_CHANNELS)} (no such channel).",
                         value=channel, known=", ".join(KEY_CHANNELS))
    row, key = create_api_key(session, name, channel)
    audit.change(session, who, "apikey.create", f"apikey:{row.id}", None, _shown(row))
    return row, key


def revoke_key(session: Session, who: audit.Who, key_id: int) -> ApiKey:
    """Revoke (audited); revoking a revoked key changes nothing. Web workers forget it within their cache's
    ``ttl_s`` (``ApiKeyCache``)."""
    row = _key_row(session, key_id)
    if row.active:
        before = _shown(row)
        row.active = False
        audit.change(session, who, "apikey.revoke", f"apikey:{row.id}", before, _shown(row))
    return row


def _key_row(session: Session, key_id: int) -> ApiKey:
    row = session.get(ApiKey, key_id)
    if row is None:
        raise NotFound(f"Không có khoá API số {key_id}.")
    return row
