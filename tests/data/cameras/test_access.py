"""Who sees which camera: agency and ward users only the groups granted to them, the city's roles all of them;
on SQLite and PostgreSQL. Also the groups made from the old ``group_name`` text (migration 0017)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import select, text

from data.cameras import groups
from data.cameras.access import EVERYTHING, NOTHING, scope_of, viewable_camera
from data.cameras.listing import camera_rows
from data.cameras.who import Who
from data.core.db import make_engine, migrate
from data.core.errors import Forbidden, InvalidInput, NotFound
from data.core.runtime import Runtime
from data.models import AuditEntry, Camera, CameraGroup, Role, User
from data.reports.filters import ReportFilter
from layers.base import MapView
from layers.cameras import LAYER
from tests.factories import HUE_LAT, HUE_LON, World, world

ADMIN = Who(None, "quantri", "127.0.0.1")


@dataclass(frozen=True)
class City:
    w: World
    ward_user: int  # agency staff of no agency, scoped to ``w.ward``
    ward_leader: int  # a leader scoped to ``w.ward``: a ward user too
    traffic: int  # group granted to agency A
    market: int  # group granted to the ward
    cameras: dict[str, int]


def _city(runtime: Runtime) -> City:
    with runtime.session() as s:
        w = world(s)
        ward_user = User(username="phuong-thuan-hoa", password_hash="x", role=Role.AGENCY, admin_unit_id=w.ward)
        ward_leader = User(username="ct-phuong", password_hash="x", role=Role.LEADER, admin_unit_id=w.ward)
        s.add_all([ward_user, ward_leader])
        traffic = groups.create_group(s, ADMIN, "Giao thông")
        market = groups.create_group(s, ADMIN, "Chợ Đông Ba", code="cho-dong-ba")
        specs = {"C1": traffic.id, "C2": traffic.id, "C3": market.id, "C4": None, "C5": traffic.id}
        cameras = {}
        for code, group_id in specs.items():
            camera = Camera(code=code, name=f"Camera {code}", group_id=group_id, lat=HUE_LAT, lon=HUE_LON,
                            stream_url=f"rtsp://admin:pw@10.0.0.5/{code}", enabled=code != "C5")
            s.add(camera)
            s.flush()
            cameras[code] = camera.id
        groups.grant(s, ADMIN, traffic.id, agency_id=w.agency_a)
        groups.grant(s, ADMIN, market.id, admin_unit_id=w.ward)
        s.flush()
        return City(w, ward_user.id, ward_leader.id, traffic.id, market.id, cameras)


def _seen(runtime: Runtime, user_id: int | None) -> list[str]:
    with runtime.session() as s:
        return sorted(r["code"] for r in camera_rows(s, scope=scope_of(s, user_id)))


def test_each_role_sees_its_cameras(runtime: Runtime) -> None:
    city = _city(runtime)
    w = city.w
    everyone = ["C1", "C2", "C3", "C4"]  # C5 is disabled: on no wall at all
    for actor in (w.operator, w.leader, w.analyst, w.admin):
        assert _seen(runtime, actor.user_id) == everyone
    assert _seen(runtime, w.staff_a.user_id) == ["C1", "C2"]
    assert _seen(runtime, w.staff_b.user_id) == []
    assert _seen(runtime, city.ward_user) == ["C3"]
    assert _seen(runtime, city.ward_leader) == ["C3"]
    assert _seen(runtime, None) == [] and _seen(runtime, 999_999) == []
    with runtime.session() as s:
        assert scope_of(s, w.operator.user_id) == EVERYTHING
        assert scope_of(s, w.staff_b.user_id) == NOTHING
        s.get(User, w.staff_a.user_id).active = False  # type: ignore[union-attr]
    assert _seen(runtime, w.staff_a.user_id) == []


def test_the_one_check_refuses_outside_the_groups_and_a_grant_counts_at_once(runtime: Runtime) -> None:
    city = _city(runtime)
    staff_a, cams = city.w.staff_a.user_id, city.cameras
    with runtime.session() as s:
        assert viewable_camera(s, staff_a, cams["C1"]).code == "C1"
        with pytest.raises(Forbidden, match="nhóm camera"):
            viewable_camera(s, staff_a, cams["C3"])
        with pytest.raises(Forbidden):
            viewable_camera(s, staff_a, cams["C4"])  # in no group: the city's roles only
        with pytest.raises(NotFound):
            viewable_camera(s, city.w.operator.user_id, cams["C5"])  # disabled
        with pytest.raises(NotFound):
            viewable_camera(s, city.w.operator.user_id, 999_999)
        assert viewable_camera(s, city.w.operator.user_id, cams["C4"]).code == "C4"
        groups.grant(s, ADMIN, city.market, agency_id=city.w.agency_a)
    with runtime.session() as s:
        assert viewable_camera(s, staff_a, cams["C3"]).code == "C3"
        grant_id = next(g.id for g in groups.grants(s) if g.group_id == city.traffic and g.kind == "agency")
        groups.revoke(s, ADMIN, grant_id)
    with runtime.session() as s:
        with pytest.raises(Forbidden):
            viewable_camera(s, staff_a, cams["C1"])
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("admin.camera_grant.%"))
                                 .order_by(AuditEntry.id)))
    assert actions == ["admin.camera_grant.add"] * 3 + ["admin.camera_grant.remove"]


def test_the_map_layer_shows_only_the_cameras_the_viewer_sees(runtime: Runtime) -> None:
    city = _city(runtime)
    with runtime.session() as s:
        mine = LAYER.load(s, ReportFilter(), MapView(cameras=scope_of(s, city.w.staff_a.user_id)))
        every = LAYER.load(s, ReportFilter(), MapView())
    assert sorted(f["properties"]["name"] for f in mine["features"]) == ["Camera C1", "Camera C2"]
    assert len(every["features"]) == 4
    assert {f["properties"]["group"] for f in mine["features"]} == {"Giao thông"}
    assert "rtsp" not in str(every)


def test_grants_are_checked(runtime: Runtime) -> None:
    city = _city(runtime)
    with runtime.session() as s:
        with pytest.raises(InvalidInput, match="đã được xem"):
            groups.grant(s, ADMIN, city.traffic, agency_id=city.w.agency_a)
        with pytest.raises(InvalidInput, match="chỉ một"):
            groups.grant(s, ADMIN, city.traffic, agency_id=city.w.agency_b, admin_unit_id=city.w.ward)
        with pytest.raises(InvalidInput, match="chỉ một"):
            groups.grant(s, ADMIN, city.traffic)
        with pytest.raises(InvalidInput, match="không có đơn vị"):
            groups.grant(s, ADMIN, city.traffic, agency_id=999_999)
        with pytest.raises(NotFound):
            groups.grant(s, ADMIN, 999_999, agency_id=city.w.agency_b)


def test_groups_are_named_once_and_renamed_everywhere(runtime: Runtime) -> None:
    city = _city(runtime)
    with runtime.session() as s:
        with pytest.raises(InvalidInput, match="đã có nhóm"):
            groups.create_group(s, ADMIN, "Giao  thông ")  # the same name once its spaces are tidied
        with pytest.raises(InvalidInput, match="Mã nhóm"):
            groups.create_group(s, ADMIN, "Trường học", code="Trường Học!")
        groups.rename_group(s, ADMIN, city.traffic, "Giao thông đô thị")
    with runtime.session() as s:
        names = set(s.scalars(select(Camera.group_name).where(Camera.group_id == city.traffic)))
        assert names == {"Giao thông đô thị"}  # the old column kept in step
        with pytest.raises(InvalidInput, match="còn 3 camera"):
            groups.delete_group(s, ADMIN, city.traffic)
        empty = groups.create_group(s, ADMIN, "Trường học")
        groups.grant(s, ADMIN, empty.id, agency_id=city.w.agency_b)
        groups.delete_group(s, ADMIN, empty.id)
    with runtime.session() as s:
        assert [g.name for g in groups.groups(s)] == ["Chợ Đông Ba", "Giao thông đô thị"]
        assert [g.cameras for g in groups.groups(s)] == [1, 3]
        assert all(g.group != "Trường học" for g in groups.grants(s))


def test_cameras_written_with_a_group_name_alone_are_adopted(runtime: Runtime) -> None:
    with runtime.session() as s:
        s.add_all([Camera(code=f"D{i}", name=f"Demo {i}", group_name=name, stream_url="demo:street")
                   for i, name in enumerate(["Du lịch", "Du lịch", "Giao thông", None])])
        s.flush()
        assert groups.adopt_group_names(s) == 3
        assert groups.adopt_group_names(s) == 0  # nothing left to adopt
    with runtime.session() as s:
        found = {g.code: g.name for g in s.scalars(select(CameraGroup))}
        assert found == {"du-lich": "Du lịch", "giao-thong": "Giao thông"}
        rows = s.execute(select(Camera.code, CameraGroup.name).join(CameraGroup, isouter=True)
                         .order_by(Camera.code)).all()
    assert [tuple(r) for r in rows] == [("D0", "Du lịch"), ("D1", "Du lịch"), ("D2", "Giao thông"), ("D3", None)]


def test_migration_makes_groups_of_the_group_names(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine, "0014")
    with engine.begin() as conn:
        for code, group in [("A", "Giao thông"), ("B", "Giao thông"), ("C", "Du lịch"), ("D", None), ("E", "  "),
                            ("F", "Giao-thông")]:
            conn.execute(text("INSERT INTO cameras (code, name, group_name, stream_url, enabled, is_demo) "
                              "VALUES (:c, :c, :g, 'rtsp://10.0.0.5/s', true, false)"), {"c": code, "g": group})
        conn.execute(text("INSERT INTO users (username, password_hash, role, active, created_at) "
                          "VALUES ('quantri', 'x', 'admin', true, :t)"), {"t": datetime(2026, 12, 1)})
    migrate(engine)
    with engine.connect() as conn:
        found = {name: code for name, code in conn.execute(text("SELECT name, code FROM camera_groups"))}
        cameras = conn.execute(text("SELECT c.code, g.name, c.version FROM cameras c "
                                    "LEFT JOIN camera_groups g ON g.id = c.group_id ORDER BY c.code")).all()
        ward = conn.execute(text("SELECT admin_unit_id FROM users")).scalar()
    engine.dispose()
    assert found == {"Du lịch": "du-lich", "Giao thông": "giao-thong", "Giao-thông": "giao-thong-2"}
    assert [tuple(r) for r in cameras] == [("A", "Giao thông", 1), ("B", "Giao thông", 1), ("C", "Du lịch", 1),
                                           ("D", None, 1), ("E", None, 1), ("F", "Giao-thông", 1)]
    assert ward is None
