"""Access to cameras by group through the real HTTP routes: the whole web app in front of the real gateway
and the GStreamer RTSP server. An agency user gets 403 on a camera outside their groups and 200 inside,
on every route that serves a camera by id; the gateway refuses them too; every view and snapshot is audited."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from sqlalchemy import select

from app import create_app
from dashboard.api.live import _shown
from data.accounts.users import hash_password
from data.cameras import groups
from data.cameras.who import Who
from data.core.runtime import Runtime
from data.models import AuditEntry, Camera, User
from data.runtime import build_runtime
from tests.conftest_streams import TOKEN, RtspServer, running_gateway, serving, streams_settings
from tests.factories import HUE_LAT, HUE_LON, world
from tests.logins import session_login
from tests.streams.test_streams_gateway import browser_like_offer, decode_jpeg, read_multipart_jpegs

pytestmark = pytest.mark.timeout(180)
PASSWORD = "mat-khau-thu-nghiem-1"
ADMIN = Who(None, "quantri", "127.0.0.1")


@dataclass
class Site:
    runtime: Runtime
    url: str
    inside: int  # a camera of the group granted to agency A
    outside: int  # a camera of a group nobody granted
    ungrouped: int
    agency_user: int

    def login(self, username: str) -> requests.Session:
        session = requests.Session()
        assert session_login(session, self.url, username, PASSWORD).status_code == 302
        return session

    def audit(self, action: str) -> list[AuditEntry]:
        with self.runtime.session() as s:
            found = list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))
            s.expunge_all()
        return found


def _seed(runtime: Runtime, rtsp: RtspServer) -> tuple[int, int, int, int]:
    with runtime.session() as s:
        w = world(s)
        for actor in (w.operator, w.staff_a, w.analyst):
            user = s.get(User, actor.user_id)
            assert user is not None
            user.password_hash = hash_password(PASSWORD)
        traffic = groups.create_group(s, ADMIN, "Giao thông")
        market = groups.create_group(s, ADMIN, "Chợ Đông Ba")
        cameras = [Camera(code=code, name=f"Camera {code}", group_id=group, lat=HUE_LAT, lon=HUE_LON,
                          stream_url=rtsp.url(mount)) for code, group, mount in
                   (("IN", traffic.id, "cam"), ("OUT", market.id, "cam2"), ("NONE", None, "cam2"))]
        s.add_all(cameras)
        s.flush()
        groups.grant(s, ADMIN, traffic.id, agency_id=w.agency_a)
        assert w.staff_a.user_id is not None
        return cameras[0].id, cameras[1].id, cameras[2].id, w.staff_a.user_id


@pytest.fixture(scope="module")
def site(rtsp_server: RtspServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    database = f"sqlite:///{tmp_path_factory.mktemp('camera-access') / 'ioc.sqlite3'}"
    with contextlib.ExitStack() as started:
        runtime = build_runtime(streams_settings(database, run_streams=False, run_workers=False))
        started.callback(runtime.close)
        inside, outside, ungrouped, agency_user = _seed(runtime, rtsp_server)
        started.enter_context(running_gateway(runtime))
        web = started.enter_context(serving(create_app(runtime.settings, runtime).server))
        yield Site(runtime, web.url, inside, outside, ungrouped, agency_user)


def _offer(session: requests.Session, site: Site, camera_id: int) -> requests.Response:
    body = {"sdp": browser_like_offer(), "type": "offer", "quality": "sub"}
    return session.post(f"{site.url}/api/cameras/{camera_id}/offer", json=body, timeout=60)


def test_an_agency_user_gets_403_outside_their_groups_on_every_camera_route(site: Site) -> None:
    agency = site.login("donvi-a")
    for camera_id in (site.outside, site.ungrouped):
        answers = [
            _offer(agency, site, camera_id),
            agency.get(f"{site.url}/api/cameras/{camera_id}/snapshot.jpg", timeout=30),
            agency.get(f"{site.url}/api/cameras/{camera_id}/mjpeg", timeout=30),
        ]
        for answer in answers:
            assert answer.status_code == 403, (camera_id, answer.request.url, answer.status_code)
            assert answer.json()["ok"] is False and "nhóm camera" in answer.json()["error"]
    denied = site.audit("denied")
    assert {e.target for e in denied} == {f"camera:{site.outside}", f"camera:{site.ungrouped}"}
    assert {e.username for e in denied} == {"donvi-a"} and len(denied) == 6
    status = agency.get(f"{site.url}/api/cameras/status", timeout=30).json()
    assert [c["id"] for c in status] == [site.inside]


def test_an_agency_user_gets_200_inside_their_groups(site: Site) -> None:
    agency = site.login("donvi-a")
    snapshot = agency.get(f"{site.url}/api/cameras/{site.inside}/snapshot.jpg", timeout=60)
    assert snapshot.status_code == 200 and decode_jpeg(snapshot.content).shape == (360, 640, 3)
    answer = _offer(agency, site, site.inside)
    assert answer.status_code == 200 and "H264" in answer.json()["sdp"]
    with agency.get(f"{site.url}/api/cameras/{site.inside}/mjpeg", stream=True, timeout=60) as mjpeg:
        assert mjpeg.status_code == 200
        boundary = mjpeg.headers["Content-Type"].split("boundary=")[1].encode()
        assert len(read_multipart_jpegs(mjpeg, boundary, count=2)) == 2
    assert _offer(agency, site, site.inside).status_code == 200  # a tile reconnecting: the same viewing session
    views = [e for e in site.audit("camera.view") if e.user_id == site.agency_user]
    snapshots = [e for e in site.audit("camera.snapshot") if e.user_id == site.agency_user]
    assert len(views) == 1 and len(snapshots) == 1  # WebRTC, MJPEG and a reconnect within 5 minutes: one session
    assert views[0].target == snapshots[0].target == f"camera:{site.inside}"
    assert views[0].source_ip == "127.0.0.1" and views[0].username == "donvi-a"
    assert views[0].detail == {"how": "webrtc", "quality": "sub", "code": "IN", "name": "Camera IN"}


def test_operators_see_every_camera_and_analysts_none(site: Site) -> None:
    operator = site.login("vanhanh")
    for camera_id in (site.inside, site.outside, site.ungrouped):
        assert operator.get(f"{site.url}/api/cameras/{camera_id}/snapshot.jpg", timeout=60).status_code == 200
    assert len(operator.get(f"{site.url}/api/cameras/status", timeout=30).json()) == 3
    analyst = site.login("phantich")  # analysts never watched video: the wall is not theirs
    assert analyst.get(f"{site.url}/api/cameras/{site.inside}/snapshot.jpg", timeout=30).status_code == 403


def test_the_gateway_refuses_on_its_own(site: Site) -> None:
    """Even a caller holding the token (a web process with a bug) gets no camera for a user outside its group."""
    base = site.runtime.settings.streams_base_url
    path = f"{base}/internal/cameras/{{}}/snapshot.jpg"
    headers = {"X-IOC-Token": TOKEN, "X-IOC-User": str(site.agency_user)}
    assert requests.get(path.format(site.outside), headers=headers, timeout=30).status_code == 403
    assert requests.get(path.format(site.inside), headers=headers, timeout=60).status_code == 200
    nobody = requests.get(path.format(site.inside), headers={"X-IOC-Token": TOKEN}, timeout=30)
    assert nobody.status_code == 403 and "X-IOC-User" in nobody.json()["error"]


def _router(session: requests.Session, site: Site, path: str, search: str = "") -> str:
    deps = session.get(f"{site.url}/_dash-dependencies", timeout=30).json()
    router = next(d for d in deps if d["output"] == ".._pages_content.children..._pages_store.data..")
    body: dict[str, Any] = {
        "output": router["output"],
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": d["id"], "property": d["property"], "value": path if d["property"] == "pathname" else search}
                   for d in router["inputs"]],
        "state": [], "changedPropIds": ["_pages_location.pathname"],
    }
    answer = session.post(f"{site.url}/_dash-update-component", json=body, timeout=60)
    assert answer.status_code == 200, answer.text[:300]
    return json.dumps(answer.json(), ensure_ascii=False)


def test_the_wall_shows_an_agency_user_their_cameras_only(site: Site) -> None:
    agency = _router(site.login("donvi-a"), site, "/cameras")
    assert "Camera IN" in agency and "Camera OUT" not in agency and "Camera NONE" not in agency
    assert "rtsp://" not in agency
    operator = _router(site.login("vanhanh"), site, "/cameras")
    assert all(f"Camera {code}" in operator for code in ("IN", "OUT", "NONE"))
    assert "admin-cameras" not in _router(site.login("donvi-a"), site, "/admin/cameras")  # refused: admins only


def test_the_audit_page_lists_the_views_by_kind(site: Site) -> None:
    agency = site.login("donvi-a")
    assert agency.get(f"{site.url}/api/cameras/{site.inside}/snapshot.jpg", timeout=60).status_code == 200
    page = json.loads(_router(_admin_session(site), site, "/audit", "?action=camera."))
    rows = [[str(cell["props"]["children"]) for cell in row["props"]["children"]] for row in _table_rows(page)]
    assert rows, "the audit table is empty"
    assert {row[2] for row in rows} <= {"camera.view", "camera.snapshot"}  # only the kind asked for
    assert ["donvi-a", "camera.snapshot", f"camera:{site.inside}", "127.0.0.1"] in [row[1:5] for row in rows]


def _table_rows(tree: Any) -> list[Any]:
    """The rows of the audit table in a layout as Dash serialises it."""
    if isinstance(tree, list):
        return [row for item in tree for row in _table_rows(item)]
    if not isinstance(tree, dict):
        return []
    props = tree.get("props") if isinstance(tree.get("props"), dict) else None
    if props is not None and props.get("id") == "audit-table":
        body = next(part for part in props["children"] if part["type"] == "Tbody")
        return list(body["props"]["children"])
    return [row for value in (props or tree).values() for row in _table_rows(value)]


def _admin_session(site: Site) -> requests.Session:
    with site.runtime.session() as s:
        if s.scalar(select(User.id).where(User.username == "quantri-camera")) is None:
            s.add(User(username="quantri-camera", password_hash=hash_password(PASSWORD), role="admin"))
    return site.login("quantri-camera")


def test_camera_health_on_the_live_feed_follows_the_groups() -> None:
    mine = frozenset({1})
    assert _shown("cameras", {"camera_id": 1, "state": "online"}, False, mine)
    assert not _shown("cameras", {"camera_id": 2, "state": "online"}, False, mine)
    assert _shown("cameras", {"camera_id": 2, "state": "online"}, True, None)
    assert _shown("reports", {"id": 5}, False, mine)
    assert not _shown("alerts", {"id": 5}, False, None) and _shown("alerts", {"id": 5}, True, None)
