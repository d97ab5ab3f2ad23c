"""An admin's changes to cameras: checked field by field, audited with before and after (passwords masked),
a masked password kept, an edit on an older copy refused; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from data.cameras.editing import CameraInput, create_camera, set_enabled, update_camera
from data.cameras.urls import MASK, masked
from data.cameras.views import SNAPSHOT, VIEW, Viewed, record_view
from data.cameras.who import Who
from data.core.errors import InvalidInput
from data.core.runtime import Runtime
from data.models import AuditEntry, Camera, CameraGroup, Role, User, utcnow

ADMIN = Who(None, "quantri", "10.1.2.3")
SECRET = "s3cret-pass"
URL = f"rtsp://admin:{SECRET}@10.0.0.5:554/Streaming/Channels/101"


def _input(**changes: Any) -> CameraInput:
    values: dict[str, Any] = {"code": "CAM-001", "name": "Cầu Trường Tiền", "stream_url": URL, "group": "Giao thông",
                              "lat": 16.4698, "lon": 107.5786}
    return CameraInput(**(values | changes))


def _audit(runtime: Runtime, prefix: str) -> list[AuditEntry]:
    with runtime.session() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.action.startswith(prefix)).order_by(AuditEntry.id)))
        s.expunge_all()
    return rows


def test_add_edit_and_disable_are_audited_with_before_and_after(runtime: Runtime) -> None:
    with runtime.session() as s:
        camera_id = create_camera(s, ADMIN, _input()).id
    with runtime.session() as s:
        camera = s.get(Camera, camera_id)
        assert camera is not None and camera.group_name == "Giao thông" and camera.version == 1
        assert s.scalar(select(CameraGroup.name).where(CameraGroup.id == camera.group_id)) == "Giao thông"
        update_camera(s, ADMIN, camera_id, _input(name="Cầu Trường Tiền (phía Nam)", stream_url=masked(URL)), 1)
    with runtime.session() as s:
        camera = s.get(Camera, camera_id)
        assert camera is not None and camera.stream_url == URL and camera.version == 2  # the password was kept
        set_enabled(s, ADMIN, camera_id, False, 2)
    created, updated, disabled = _audit(runtime, "admin.camera.")
    assert (created.action, updated.action, disabled.action) == ("admin.camera.create", "admin.camera.update",
                                                                 "admin.camera.disable")
    assert created.detail is not None and created.detail["before"] is None
    assert created.detail["after"]["stream_url"] == f"rtsp://admin:{MASK}@10.0.0.5:554/Streaming/Channels/101"
    assert updated.detail == {"before": {"name": "Cầu Trường Tiền"}, "after": {"name": "Cầu Trường Tiền (phía Nam)"},
                              "via": "page"}
    assert disabled.detail == {"before": {"enabled": True}, "after": {"enabled": False}}
    assert {e.username for e in (created, updated, disabled)} == {"quantri"}
    assert {e.source_ip for e in (created, updated, disabled)} == {"10.1.2.3"}
    assert all(SECRET not in str(e.detail) for e in (created, updated, disabled))


def test_a_new_password_alone_is_saved_and_audited_without_showing_it(runtime: Runtime) -> None:
    with runtime.session() as s:
        camera_id = create_camera(s, ADMIN, _input()).id
    with runtime.session() as s:
        update_camera(s, ADMIN, camera_id, _input(stream_url=URL.replace(SECRET, "new-pass-2027")), 1)
        update_camera(s, ADMIN, camera_id, _input(stream_url=masked(URL)), 2)  # unchanged: nothing recorded
    with runtime.session() as s:
        camera = s.get(Camera, camera_id)
        assert camera is not None and "new-pass-2027" in camera.stream_url and camera.version == 2
    updates = _audit(runtime, "admin.camera.update")
    assert [u.detail for u in updates] == [{"before": {}, "after": {"credentials": "changed"}, "via": "page"}]


def test_an_edit_made_on_an_older_copy_is_refused(runtime: Runtime) -> None:
    with runtime.session() as s:
        camera_id = create_camera(s, ADMIN, _input()).id
    with runtime.session() as s:
        update_camera(s, ADMIN, camera_id, _input(name="Bản của người thứ nhất"), 1)
    with runtime.session() as s, pytest.raises(InvalidInput, match="người khác sửa"):
        update_camera(s, ADMIN, camera_id, _input(name="Bản của người thứ hai"), 1)
    with runtime.session() as s, pytest.raises(InvalidInput, match="người khác sửa"):
        set_enabled(s, ADMIN, camera_id, False, 1)
    with runtime.session() as s:
        camera = s.get(Camera, camera_id)
        assert camera is not None and camera.name == "Bản của người thứ nhất" and camera.enabled


@pytest.mark.parametrize(("changes", "field"), [
    ({"code": ""}, "Mã camera: chưa nhập"),
    ({"code": "CAM 001"}, "Mã camera: chỉ gồm"),
    ({"name": ""}, "Tên: chưa nhập"),
    ({"stream_url": "ftp://10.0.0.5/video"}, "Địa chỉ luồng chính: Địa chỉ phải bắt đầu"),
    ({"sub_stream_url": "rtsp://10.0.0.5:70000/s"}, "Địa chỉ luồng phụ: Cổng"),
    ({"lat": 16.5, "lon": None}, "Kinh độ: nhập cả"),
    ({"stream_url": f"rtsp://admin:{MASK}@10.0.0.5/s"}, "chưa có mật khẩu"),
])
def test_bad_input_names_the_field_and_saves_nothing(runtime: Runtime, changes: dict[str, Any], field: str) -> None:
    with runtime.session() as s, pytest.raises(InvalidInput) as refused:
        create_camera(s, ADMIN, _input(**changes))
    assert field in refused.value.message
    with runtime.session() as s:
        assert s.scalar(select(Camera.id)) is None
        assert s.scalar(select(AuditEntry.id)) is None


def test_a_code_is_one_camera(runtime: Runtime) -> None:
    with runtime.session() as s:
        create_camera(s, ADMIN, _input())
        other = create_camera(s, ADMIN, _input(code="CAM-002")).id
    with runtime.session() as s, pytest.raises(InvalidInput, match="đã có camera mã «CAM-001»"):
        create_camera(s, ADMIN, _input())
    with runtime.session() as s, pytest.raises(InvalidInput, match="đã có camera mã «CAM-001»"):
        update_camera(s, ADMIN, other, _input(), 1)


def test_views_are_audited_once_per_session_and_every_snapshot(runtime: Runtime) -> None:
    with runtime.session() as s:
        users = [User(username=name, password_hash="x", role=role) for name, role in
                 (("donvi-a", Role.AGENCY), ("vanhanh", Role.OPERATOR))]
        s.add_all(users)
        s.flush()
        viewer, other = Who(users[0].id, "donvi-a", "10.9.8.7"), Who(users[1].id, "vanhanh", "10.9.8.8")
    camera, second = Viewed(1, "CAM-001", "Cầu Trường Tiền"), Viewed(2, "CAM-002", "Chợ Đông Ba")
    start = utcnow()
    with runtime.session() as s:
        assert record_view(s, viewer, camera, "webrtc", "sub", 300, now=start)
        assert not record_view(s, viewer, camera, "webrtc", "sub", 300, now=start + timedelta(seconds=20))  # reconnect
        assert not record_view(s, viewer, camera, "mjpeg", "main", 300, now=start + timedelta(seconds=40))
        assert record_view(s, viewer, second, "webrtc", "sub", 300, now=start + timedelta(seconds=40))
        assert record_view(s, other, camera, "webrtc", "sub", 300, now=start + timedelta(seconds=41))
        assert record_view(s, viewer, camera, "webrtc", "sub", 300, now=start + timedelta(seconds=400))  # a new session
        assert record_view(s, viewer, camera, "snapshot", "sub", 300, now=start + timedelta(seconds=401))
        assert record_view(s, viewer, camera, "snapshot", "sub", 300, now=start + timedelta(seconds=402))
    entries = _audit(runtime, "camera.")
    assert [(e.action, e.username, e.target) for e in entries] == [
        (VIEW, "donvi-a", "camera:1"), (VIEW, "donvi-a", "camera:2"), (VIEW, "vanhanh", "camera:1"),
        (VIEW, "donvi-a", "camera:1"), (SNAPSHOT, "donvi-a", "camera:1"), (SNAPSHOT, "donvi-a", "camera:1"),
    ]
    assert entries[0].source_ip == "10.9.8.7"
    assert entries[0].detail == {"how": "webrtc", "quality": "sub", "code": "CAM-001", "name": "Cầu Trường Tiền"}
