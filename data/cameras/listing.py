"""What the pages show of cameras: the wall's and the map's rows, and the admin's table. Never a stream URL
in clear: the wall and the map get none, the admin table gets them masked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.cameras.access import EVERYTHING, CameraScope
from data.cameras.urls import masked
from data.models import AdminUnit, Camera, CameraGroup, CameraStatus, utcnow
from data.reports.queries import camera_state


def camera_rows(session: Session, now: datetime | None = None, scope: CameraScope = EVERYTHING) -> list[dict[str, Any]]:
    """Every enabled camera ``scope`` sees, with its live state; never the stream URL (it holds credentials)."""
    now = now or utcnow()
    rows = session.execute(
        select(Camera.id, Camera.code, Camera.name, CameraGroup.name.label("group_name"), Camera.lat, Camera.lon,
               CameraStatus.state, CameraStatus.last_frame_at, CameraStatus.fps,
               CameraStatus.transcoding, CameraStatus.updated_at, CameraStatus.viewers)
        .outerjoin(CameraGroup, CameraGroup.id == Camera.group_id)
        .outerjoin(CameraStatus, CameraStatus.camera_id == Camera.id)
        .where(Camera.enabled, scope.where())
        .order_by(CameraGroup.name, Camera.name)
    ).all()
    return [
        {
            "id": r.id, "code": r.code, "name": r.name, "group": r.group_name or "",
            "lat": r.lat, "lon": r.lon, "fps": r.fps, "transcoding": bool(r.transcoding),
            "state": camera_state(r.state, r.updated_at, now), "viewers": r.viewers or 0,
            "last_frame_age_s": (now - r.last_frame_at).total_seconds() if r.last_frame_at else None,
        }
        for r in rows
    ]


def admin_rows(session: Session, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every camera, enabled or not, for the admin's table: live state, codec, size, and URLs masked."""
    now = now or utcnow()
    rows = session.execute(
        select(Camera, CameraGroup.name.label("group_name"), AdminUnit.name.label("ward"), CameraStatus)
        .outerjoin(CameraGroup, CameraGroup.id == Camera.group_id)
        .outerjoin(AdminUnit, AdminUnit.id == Camera.admin_unit_id)
        .outerjoin(CameraStatus, CameraStatus.camera_id == Camera.id)
        .order_by(Camera.code)
    ).all()
    return [_admin_row(r.Camera, r.group_name, r.ward, r.CameraStatus, now) for r in rows]


def _admin_row(camera: Camera, group: str | None, ward: str | None, status: CameraStatus | None,
               now: datetime) -> dict[str, Any]:
    live = status is not None and camera.enabled
    size = f"{status.width}×{status.height}" if status is not None and status.width and status.height else ""
    return {
        "id": camera.id, "code": camera.code, "name": camera.name, "group": group or "", "ward": ward or "",
        "lat": camera.lat, "lon": camera.lon, "enabled": bool(camera.enabled), "version": camera.version,
        "stream_url": masked(camera.stream_url), "sub_stream_url": masked(camera.sub_stream_url),
        "state": camera_state(status.state, status.updated_at, now) if live and status is not None else
        ("disabled" if not camera.enabled else "unknown"),
        "codec": status.codec if status is not None else None, "size": size,
        "fps": round(status.fps, 1) if status is not None and status.fps else None,
        "error": status.error if status is not None else None,
        "last_frame_at": status.last_frame_at if status is not None else None,
    }
