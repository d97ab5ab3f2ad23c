"""The cameras admin page (/admin/cameras) in a real headless Chromium against `python app.py` on an empty
database: add a camera against the GStreamer RTSP test server, test its connection (its picture, codec,
size and rate), save it, see it play on the wall; the password never reaches the page; axe-core finds
no accessibility problem on any tab."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from data.models import AuditEntry, Camera
from tests.axe import assert_accessible
from tests.browser import LiveApp, WatchedPage, free_port, login, start_app, stop_app, watch
from tests.conftest_streams import SECRET, RtspServer

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    app = start_app(tmp_path_factory.mktemp("cameras-admin"), IOC_DEMO="false")
    yield app
    stop_app(app)
    assert "Traceback" not in app.log(), app.log()[-3000:]


@pytest.fixture
def admin(live: LiveApp, browser: Browser) -> Iterator[WatchedPage]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    watched = watch(context.new_page())
    login(watched.page, live.url)
    yield watched
    errors = list(watched.errors)
    context.close()
    assert errors == [], "\n".join(errors)


def _open(page: Page, url: str) -> None:
    page.goto(f"{url}/admin/cameras")
    expect(page.locator("h1")).to_have_text("Quản lý camera")
    expect(page.locator("#admin-cameras-upload input[type=file]")).to_have_attribute("aria-label", re.compile("tệp"))


def _fill(page: Page, code: str, name: str, url: str, group: str = "Giao thông") -> None:
    page.fill("#admin-cameras-code", code)
    page.fill("#admin-cameras-name", name)
    page.fill("#admin-cameras-group", group)
    page.fill("#admin-cameras-stream-url", url)


def test_add_a_camera_test_it_save_it_and_it_plays_on_the_wall(
    live: LiveApp, admin: WatchedPage, rtsp_server: RtspServer
) -> None:
    page = admin.page
    _open(page, live.url)
    assert_accessible(page)
    _fill(page, "CAM-101", "Ngã tư Lê Lợi – Hùng Vương", rtsp_server.url("cam"))
    started = time.monotonic()
    page.click("#admin-cameras-test")
    expect(page.locator("#admin-cameras-test-picture")).to_be_visible()
    print(f"test connection answered in {time.monotonic() - started:.1f} s")
    facts = page.locator("#admin-cameras-test-facts")
    expect(facts).to_contain_text("h264")
    expect(facts).to_contain_text("640×360")
    expect(facts).to_contain_text("25")
    width = page.evaluate("document.querySelector('#admin-cameras-test-picture').naturalWidth")
    assert width == 640  # a real picture, decoded by the browser
    assert_accessible(page)

    page.click("#admin-cameras-save")
    expect(page.locator("#admin-cameras-form-message")).to_contain_text("Đã thêm camera CAM-101")
    expect(page.locator("#admin-cameras-table")).to_contain_text("CAM-101")
    expect(page.locator("#admin-cameras-stream-url")).to_have_value(
        f"rtsp://viewer:••••••@127.0.0.1:{rtsp_server.port}/cam")
    assert SECRET not in page.content()
    stored = live.scalars(select(Camera.stream_url).where(Camera.code == "CAM-101"))
    assert stored == [rtsp_server.url("cam")]
    camera_id = live.scalars(select(Camera.id).where(Camera.code == "CAM-101"))[0]
    expect(page.locator("#admin-cameras-pick")).to_have_value(str(camera_id))  # the form now edits it
    expect(page.locator("#admin-cameras-form-message")).to_contain_text("Đã thêm camera CAM-101")

    page.goto(f"{live.url}/cameras")
    tile = page.locator("#cameras-wall .ioc-tile").first
    expect(tile).to_have_attribute("data-camera-id", str(camera_id))
    page.wait_for_function(
        "() => { const t = window.iocTiles && window.iocTiles.all()[0];"
        " const s = t && window.iocTiles.stats(t.cameraId); return s && s.state === 'live' && s.framesDecoded > 5; }",
        timeout=90_000)
    expect(tile.locator(".ioc-badge-state")).to_have_text("TRỰC TIẾP")
    views = live.scalars(select(AuditEntry.target).where(AuditEntry.action == "camera.view"))
    assert views == [f"camera:{camera_id}"]


def test_a_camera_that_does_not_answer_gets_a_clear_message(live: LiveApp, admin: WatchedPage) -> None:
    page = admin.page
    _open(page, live.url)
    _fill(page, "CAM-DEAD", "Camera tắt", f"rtsp://admin:{SECRET}@127.0.0.1:{free_port()}/stream1")
    started = time.monotonic()
    page.click("#admin-cameras-test")
    message = page.locator("#admin-cameras-test-result")
    expect(message).to_contain_text("Không kết nối được")
    expect(message).to_contain_text("từ chối")
    assert time.monotonic() - started < 15
    page.fill("#admin-cameras-stream-url", "ftp://10.0.0.5/video")
    page.click("#admin-cameras-save")
    expect(page.locator("#admin-cameras-form-message")).to_contain_text("Địa chỉ luồng chính: Địa chỉ phải bắt đầu")
    assert SECRET not in page.content()
    assert live.scalars(select(Camera.code).where(Camera.code == "CAM-DEAD")) == []


def test_an_edit_keeps_the_masked_password(live: LiveApp, admin: WatchedPage, rtsp_server: RtspServer) -> None:
    page = admin.page
    _open(page, live.url)
    _fill(page, "CAM-102", "Cầu Trường Tiền", rtsp_server.url("cam2"), group="Cầu")
    page.click("#admin-cameras-save")
    expect(page.locator("#admin-cameras-form-message")).to_contain_text("Đã thêm camera CAM-102")
    page.reload()
    camera_id = live.scalars(select(Camera.id).where(Camera.code == "CAM-102"))[0]
    page.select_option("#admin-cameras-pick", str(camera_id))
    expect(page.locator("#admin-cameras-stream-url")).to_have_value(
        f"rtsp://viewer:••••••@127.0.0.1:{rtsp_server.port}/cam2")
    page.fill("#admin-cameras-name", "Cầu Trường Tiền (phía Nam)")
    page.click("#admin-cameras-test")  # the stored password is put back on the server for the test too
    expect(page.locator("#admin-cameras-test-facts")).to_contain_text("320×240")
    page.click("#admin-cameras-save")
    expect(page.locator("#admin-cameras-form-message")).to_contain_text("Đã lưu camera CAM-102")
    assert live.scalars(select(Camera.stream_url).where(Camera.id == camera_id)) == [rtsp_server.url("cam2")]
    page.click("#admin-cameras-toggle")
    expect(page.locator("#admin-cameras-form-message")).to_contain_text("Đã tắt camera CAM-102")
    assert live.scalars(select(Camera.enabled).where(Camera.id == camera_id)) == [False]


def test_import_names_a_missing_column_and_groups_take_grants(
    live: LiveApp, admin: WatchedPage, tmp_path: Path
) -> None:
    page = admin.page
    _open(page, live.url)
    bad = tmp_path / "cameras.csv"
    bad.write_text("code,name,group\nCAM-201,Chợ Đông Ba,Chợ\n", encoding="utf-8")
    page.set_input_files("#admin-cameras-upload input[type=file]", str(bad))
    report = page.locator("#admin-cameras-report")
    expect(report).to_contain_text("1 lỗi")
    expect(page.locator("#admin-cameras-problems")).to_contain_text("stream_url")
    expect(page.locator("#admin-cameras-run")).to_be_disabled()
    good = tmp_path / "cameras-good.csv"
    good.write_text("code,name,group,stream_url\nCAM-201,Chợ Đông Ba,Chợ,rtsp://10.0.0.5/s1\n", encoding="utf-8")
    page.set_input_files("#admin-cameras-upload input[type=file]", str(good))
    expect(report).to_contain_text("sẽ thêm 1")
    page.click("#admin-cameras-run")
    expect(report).to_contain_text("Đã nhập")
    assert live.scalars(select(Camera.code).where(Camera.code == "CAM-201")) == ["CAM-201"]

    expect(page.locator("#admin-cameras-groups-table")).to_contain_text("Chợ")
    assert_accessible(page)
    page.fill("#admin-cameras-group-name", "Trường học")
    page.click("#admin-cameras-group-create")
    expect(page.locator("#admin-cameras-groups-message")).to_contain_text("Đã tạo nhóm «Trường học»")
    expect(page.locator("#admin-cameras-groups-table")).to_contain_text("Trường học")
