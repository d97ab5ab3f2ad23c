"""An admin's changes to cameras: add, edit, disable. Each is checked field by field and audited with
what it was before and after (URLs masked: the audit log is read on a page).

An edit carries the version of the camera it was made on; when someone else saved the camera
meanwhile, it is refused rather than silently undoing their change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.cameras.groups import ensure_group
from data.cameras.urls import URL_MESSAGES, masked, unmasked, url_reason
from data.cameras.who import Who
from data.core.errors import InvalidInput, NotFound
from data.geo.boundaries.storing import unit_shapes
from data.geo.geometry import UnitShape, locate
from data.models import Camera

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_NAME = 200
MAX_GROUP = 100
# The fields as the page and the import name them (Vietnamese first: the messages are for the admin).
FIELD_NAMES = {
    "code": "Mã camera", "name": "Tên", "group": "Nhóm", "stream_url": "Địa chỉ luồng chính",
    "sub_stream_url": "Địa chỉ luồng phụ", "lat": "Vĩ độ", "lon": "Kinh độ",
}
WARD_LEVELS = ("commune", "ward")  # the lowest units a camera stands in, newest scheme first


@dataclass(frozen=True)
class CameraInput:
    """A camera as an admin typed it (URLs may carry the mask in place of their password)."""

    code: str
    name: str
    stream_url: str
    group: str = ""
    sub_stream_url: str = ""
    lat: float | None = None
    lon: float | None = None
    enabled: bool = True


def input_problems(data: CameraInput) -> list[tuple[str, str]]:
    """Every (field, message) wrong with ``data``, in form order; empty when it can be saved."""
    found: list[tuple[str, str]] = []
    if not data.code.strip():
        found.append(("code", "chưa nhập."))
    elif not CODE.match(data.code.strip()):
        found.append(("code", "chỉ gồm chữ, số, '.', '-' và '_' (tối đa 64 ký tự), ví dụ CAM-001."))
    if not data.name.strip():
        found.append(("name", "chưa nhập."))
    elif len(data.name.strip()) > MAX_NAME:
        found.append(("name", f"dài quá {MAX_NAME} ký tự."))
    if len(data.group.strip()) > MAX_GROUP:
        found.append(("group", f"dài quá {MAX_GROUP} ký tự."))
    for field, url in (("stream_url", data.stream_url), ("sub_stream_url", data.sub_stream_url)):
        reason = url_reason(url.strip()) if url.strip() or field == "stream_url" else None
        if reason is not None:
            found.append((field, URL_MESSAGES[reason]))
    found += coordinate_problems(data.lat, data.lon)
    return found


def coordinate_problems(lat: float | None, lon: float | None) -> list[tuple[str, str]]:
    if (lat is None) != (lon is None):
        return [("lat" if lat is None else "lon", "nhập cả vĩ độ và kinh độ, hoặc bỏ trống cả hai.")]
    found = []
    if lat is not None and not -90 <= lat <= 90:
        found.append(("lat", "phải từ -90 đến 90."))
    if lon is not None and not -180 <= lon <= 180:
        found.append(("lon", "phải từ -180 đến 180."))
    return found


def problems_text(found: list[tuple[str, str]]) -> str:
    return " ".join(f"{FIELD_NAMES.get(field, field)}: {message}" for field, message in found)


def audit_view(camera: Camera) -> dict[str, Any]:
    """What the audit log keeps of a camera: every field an admin sets, URLs masked."""
    return {"code": camera.code, "name": camera.name, "group": camera.group_name or "",
            "stream_url": masked(camera.stream_url), "sub_stream_url": masked(camera.sub_stream_url),
            "lat": camera.lat, "lon": camera.lon, "enabled": bool(camera.enabled)}


def _changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def _check(session: Session, data: CameraInput, camera_id: int | None) -> None:
    found = input_problems(data)
    if found:
        raise InvalidInput(problems_text(found))
    other = session.scalar(select(Camera.id).where(Camera.code == data.code.strip()))
    if other is not None and other != camera_id:
        raise InvalidInput(f"{FIELD_NAMES['code']}: đã có camera mã «{data.code.strip()}».")


class WardFinder:
    """The ward (or commune) a point stands in, from the boundaries loaded once (an import locates many)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._shapes: list[UnitShape] | None = None

    def __call__(self, lat: float | None, lon: float | None) -> int | None:
        if lat is None or lon is None:
            return None
        if self._shapes is None:
            self._shapes = next((found for level in WARD_LEVELS if (found := unit_shapes(self._session, level))), [])
        return locate(lat, lon, self._shapes)


def fill(session: Session, camera: Camera, data: CameraInput, wards: WardFinder | None = None) -> None:
    """Copy ``data`` onto ``camera`` (checked before): URLs unmasked, group made if new, ward located."""
    camera.code, camera.name = data.code.strip(), " ".join(data.name.split())
    camera.stream_url = unmasked(data.stream_url.strip(), camera.stream_url)
    sub = data.sub_stream_url.strip()
    camera.sub_stream_url = unmasked(sub, camera.sub_stream_url) if sub else None
    group = ensure_group(session, data.group) if data.group.strip() else None
    camera.group_id, camera.group_name = (group.id, group.name) if group is not None else (None, None)
    if (camera.lat, camera.lon) != (data.lat, data.lon) or camera.id is None:
        camera.admin_unit_id = (wards or WardFinder(session))(data.lat, data.lon)
    camera.lat, camera.lon = data.lat, data.lon
    camera.enabled = data.enabled


def create_camera(session: Session, who: Who, data: CameraInput, via: str = "page",
                  wards: WardFinder | None = None) -> Camera:
    _check(session, data, None)
    camera = Camera(code=data.code.strip(), name="", stream_url="", version=1)
    fill(session, camera, data, wards)
    session.add(camera)
    session.flush()
    who.record(session, "admin.camera.create", f"camera:{camera.id}",
               {"before": None, "after": audit_view(camera), "via": via})
    return camera


def editable(session: Session, camera_id: int, version: int | None) -> Camera:
    """The camera to change, refused when it changed since the admin loaded ``version`` of it."""
    camera = session.get(Camera, camera_id)
    if camera is None:
        raise NotFound("Không tìm thấy camera (có thể vừa bị xoá).")
    if version is not None and camera.version != version:
        raise InvalidInput("Camera này vừa được người khác sửa trong lúc bạn sửa: tải lại để xem bản mới rồi sửa lại.")
    return camera


def update_camera(session: Session, who: Who, camera_id: int, data: CameraInput, version: int | None,
                  via: str = "page", wards: WardFinder | None = None) -> Camera:
    """Save an edit; a URL sent with the mask keeps its stored password. Unchanged: nothing recorded."""
    camera = editable(session, camera_id, version)
    _check(session, data, camera_id)
    before, urls = audit_view(camera), (camera.stream_url, camera.sub_stream_url)
    fill(session, camera, data, wards)
    old, new = _changes(before, audit_view(camera))
    if not new and urls != (camera.stream_url, camera.sub_stream_url):
        new = {"credentials": "changed"}  # a new password alone looks like no change once masked: say so
    if new:
        camera.version += 1
        who.record(session, "admin.camera.update", f"camera:{camera_id}",
                   {"before": old, "after": new, "via": via})
    return camera


def set_enabled(session: Session, who: Who, camera_id: int, enabled: bool, version: int | None) -> Camera:
    """Disable (or enable again) a camera: a disabled one is on no wall, no map and in no pull."""
    camera = editable(session, camera_id, version)
    if camera.enabled == enabled:
        return camera
    camera.enabled = enabled
    camera.version += 1
    who.record(session, "admin.camera.enable" if enabled else "admin.camera.disable", f"camera:{camera_id}",
               {"before": {"enabled": not enabled}, "after": {"enabled": enabled}})
    return camera
