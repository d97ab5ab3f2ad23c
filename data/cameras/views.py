"""Every view of a camera and every snapshot, in the audit log: live pictures are personal data (Decree 13/2023).

A view is one entry per viewing session, never per frame: a tile that reconnects, or a tour that comes
back to a camera, within ``window_s`` of the same user's last view of it is the same session. Every
snapshot is its own entry (each is a picture taken away).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.cameras.who import Who
from data.models import AuditEntry, Camera, utcnow

VIEW = "camera.view"
SNAPSHOT = "camera.snapshot"
HOWS = ("webrtc", "mjpeg", "snapshot")


@dataclass(frozen=True)
class Viewed:
    """The camera watched, as the log names it (kept after the session that read it is closed)."""

    id: int
    code: str
    name: str

    @classmethod
    def of(cls, camera: Camera) -> Viewed:
        return cls(camera.id, camera.code, camera.name)


def record_view(session: Session, who: Who, camera: Viewed, how: str, quality: str, window_s: float,
                now: datetime | None = None) -> bool:
    """Audit ``who`` watching ``camera`` (``how``: webrtc, mjpeg or snapshot); False when it continues a session."""
    if how not in HOWS:
        raise ValueError(f"unknown way of viewing: {how}")
    now = now or utcnow()
    action, target = (SNAPSHOT if how == "snapshot" else VIEW), f"camera:{camera.id}"
    if action == VIEW and window_s > 0:
        earlier = session.scalar(
            select(AuditEntry.id).where(AuditEntry.action == VIEW, AuditEntry.target == target,
                                        AuditEntry.user_id == who.user_id,
                                        AuditEntry.at >= now - timedelta(seconds=window_s)).limit(1))
        if earlier is not None:
            return False
    detail = {"how": how, "quality": quality, "code": camera.code, "name": camera.name}
    who.record(session, action, target, detail, at=now)
    return True
