"""The video wall in a real headless Chromium against `python app.py` (demo cameras on a real RTSP server).

Layouts, URL state, kiosk, tour, focus on the main stream, pop-on-alert, and a live tile in a map popup.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from data.core.db import make_engine, make_sessionmaker
from data.models import Alert, Camera
from tests.browser import LiveApp, WatchedPage, login, start_app, stop_app, watch

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

CAMERAS = 12  # Giao thông holds 6 of the demo catalogue's first 12, Du lịch 4


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    app = start_app(tmp_path_factory.mktemp("wall"), IOC_DEMO="true", IOC_DEMO_REPORTS="300",
                    IOC_DEMO_CAMERAS=str(CAMERAS))
    yield app
    stop_app(app)
    assert "Traceback" not in app.log(), app.log()[-3000:]


@pytest.fixture(scope="module")
def cameras(live: LiveApp) -> list[dict[str, Any]]:
    engine = make_engine(live.database_url)
    with make_sessionmaker(engine)() as session:
        rows = session.execute(select(Camera.id, Camera.name, Camera.group_name, Camera.lat, Camera.lon)).all()
    engine.dispose()
    return [r._asdict() for r in rows]


@pytest.fixture
def wall(live: LiveApp, browser: Browser) -> Iterator[WatchedPage]:
    """A logged-in operator's page; no console errors allowed by the end of the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    watched = watch(context.new_page())
    login(watched.page, live.url)
    yield watched
    errors = list(watched.errors)
    context.close()
    assert errors == [], "\n".join(errors)


def choose(page: Page, dropdown: str, label: str) -> None:
    page.click(f"#{dropdown}")
    page.get_by_role("option", name=label, exact=True).click()


def cells(page: Page) -> Any:
    return page.locator("#cameras-wall .ioc-wall-cell")


def stats(page: Page, camera_id: str | int) -> dict[str, Any] | None:
    result: dict[str, Any] | None = page.evaluate("id => window.iocTiles.stats(id)", str(camera_id))
    return result


def wait_live(page: Page, selector: str, timeout_s: float = 60) -> dict[str, Any]:
    """Wait until the tile at ``selector`` decodes frames and says TRỰC TIẾP."""
    tile = page.locator(selector)
    camera_id = tile.get_attribute("data-camera-id")
    assert camera_id is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = stats(page, camera_id)
        if state and state["state"] == "live" and state["framesDecoded"] > 5:
            expect(tile.locator(".ioc-badge-state")).to_have_text("TRỰC TIẾP")
            return state
        time.sleep(0.25)
    raise AssertionError(f"tile {selector} not live after {timeout_s} s: {stats(page, camera_id)}")


def test_layouts_change_the_number_of_tiles_and_tiles_play(live: LiveApp, wall: WatchedPage) -> None:
    page = wall.page
    page.goto(f"{live.url}/cameras")
    expect(cells(page)).to_have_count(4)  # 2×2 by default
    state = wait_live(page, "#cameras-wall .ioc-tile >> nth=0")
    assert state["codec"] == "video/H264" and state["mode"] == "webrtc"

    choose(page, "cameras-layout", "3×3")
    expect(cells(page)).to_have_count(9)
    expect(page.locator("#cameras-page-label")).to_have_text("Trang 1/2")  # 12 cameras, 9 a page

    choose(page, "cameras-layout", "1 lớn + 5 nhỏ")
    expect(cells(page)).to_have_count(6)
    big = cells(page).first
    expect(big).to_have_class(re.compile(r"\bioc-wall-big\b"))
    expect(big.locator(".ioc-tile")).to_have_attribute("data-quality", "main")
    expect(cells(page).nth(1).locator(".ioc-tile")).to_have_attribute("data-quality", "sub")
    big_box, small_box = big.bounding_box(), cells(page).nth(1).bounding_box()
    assert big_box and small_box and big_box["width"] > 1.8 * small_box["width"]
    assert "layout=1p5" in page.url
    # Tiles that left the grid left the player too: only the 6 shown are registered.
    page.wait_for_function("window.iocTiles.all().length === 6")

    page.click("#cameras-fullscreen")  # the Fullscreen API on the wall, tiles and focus included
    page.wait_for_function("document.fullscreenElement && document.fullscreenElement.id === 'cameras-box'")
    box = page.locator("#cameras-box").bounding_box()
    assert box and box["height"] == 800
    page.evaluate("document.exitFullscreen()")
    page.wait_for_function("document.fullscreenElement === null")


def test_url_keeps_layout_and_group_across_a_reload(
    live: LiveApp, wall: WatchedPage, cameras: list[dict[str, Any]]
) -> None:
    page = wall.page
    page.goto(f"{live.url}/cameras")
    choose(page, "cameras-layout", "3×3")
    choose(page, "cameras-group", "Giao thông")
    traffic = {str(c["id"]) for c in cameras if c["group_name"] == "Giao thông"}
    expect(cells(page)).to_have_count(len(traffic))
    page.wait_for_url(re.compile(r"layout=3x3&group=Giao%20th%C3%B4ng"))

    page.reload()
    expect(page.locator("#cameras-layout")).to_contain_text("3×3")
    expect(page.locator("#cameras-group")).to_contain_text("Giao thông")
    expect(cells(page)).to_have_count(len(traffic))
    shown = {cells(page).nth(i).get_attribute("data-cell-camera") for i in range(len(traffic))}
    assert shown == traffic
    expect(page.locator("#shell-navbar")).to_be_visible()  # not a kiosk


def test_kiosk_hides_the_navbar_goes_dark_and_reloads_itself(live: LiveApp, wall: WatchedPage) -> None:
    page = wall.page
    page.goto(f"{live.url}/cameras?layout=2x2&kiosk=1&reload=0.1")  # 6 s, for the test
    expect(cells(page)).to_have_count(4)
    expect(page.locator("#shell-navbar")).to_be_hidden()
    assert page.evaluate("document.documentElement.getAttribute('data-bs-theme')") == "dark"
    box = page.locator("#cameras-box").bounding_box()
    assert box and box["height"] > 760  # the wall fills the 800 px screen
    page.evaluate("window.__beforeReload = true")
    page.wait_for_function("window.__beforeReload === undefined", timeout=60_000)
    expect(cells(page)).to_have_count(4)
    assert "kiosk=1" in page.url


def test_tour_advances_the_page(live: LiveApp, wall: WatchedPage) -> None:
    page = wall.page
    page.goto(f"{live.url}/cameras?layout=2x2&tour=15")
    label = page.locator("#cameras-page-label")
    expect(label).to_have_text("Trang 1/3")
    first = cells(page).first.get_attribute("data-cell-camera")
    expect(label).to_have_text("Trang 2/3", timeout=60_000)
    expect(cells(page)).to_have_count(4)
    assert cells(page).first.get_attribute("data-cell-camera") != first
    page.click("#cameras-prev")
    expect(label).to_have_text("Trang 1/3")
    assert "tour=15" in page.url


def test_tour_walks_the_groups_one_at_a_time(live: LiveApp, wall: WatchedPage, cameras: list[dict[str, Any]]) -> None:
    """'Each group in turn': every page holds one group only, and a full turn shows every camera once."""
    page = wall.page
    page.goto(f"{live.url}/cameras?layout=2x2&group=*&tour=60")
    group_of = {str(c["id"]): c["group_name"] or "" for c in cameras}
    sizes: dict[str, int] = {}
    for name in group_of.values():
        sizes[name] = sizes.get(name, 0) + 1
    expected_pages = sum(-(-n // 4) for n in sizes.values())
    label = page.locator("#cameras-page-label")
    expect(label).to_contain_text(f"Trang 1/{expected_pages}")
    seen: list[str] = []
    groups_in_order: list[str] = []
    for number in range(1, expected_pages + 1):
        expect(label).to_contain_text(f"Trang {number}/{expected_pages}")
        wall_group = page.locator("#cameras-wall .ioc-wall").get_attribute("data-group")
        assert wall_group is not None
        ids = [c.get_attribute("data-cell-camera") or "" for c in cells(page).all()]
        assert ids and {group_of[i] for i in ids} == {wall_group}, (number, wall_group, ids)
        assert label.inner_text().startswith(wall_group or "Chưa phân nhóm")
        seen += ids
        if not groups_in_order or groups_in_order[-1] != wall_group:
            groups_in_order.append(wall_group)
        page.click("#cameras-next")
    expect(label).to_contain_text(f"Trang 1/{expected_pages}")  # round and back to the start
    assert sorted(seen) == sorted(group_of)  # every camera once
    assert len(groups_in_order) == len(sizes)  # each group's pages come together
    assert re.search(r"group=(\*|%2A)", page.url) and "tour=60" in page.url


def test_focus_shows_the_main_stream_and_escape_closes_it(live: LiveApp, wall: WatchedPage) -> None:
    page = wall.page
    page.goto(f"{live.url}/cameras?layout=3x3")
    expect(cells(page)).to_have_count(9)
    target = cells(page).nth(4)
    camera_id = target.get_attribute("data-cell-camera")
    target.click()
    focus = page.locator("#cameras-focus .ioc-focus .ioc-tile")
    expect(focus).to_have_attribute("data-quality", "main")
    expect(focus).to_have_attribute("data-camera-id", camera_id or "")
    expect(page.locator("#cameras-focus .ioc-focus-name")).to_have_text(target.get_attribute("data-name") or "")
    expect(focus.locator(".ioc-badge-state")).to_have_text("TRỰC TIẾP", timeout=60_000)
    assert (focus.bounding_box() or {}).get("width", 0) > 1000

    page.keyboard.press("Escape")
    expect(page.locator("#cameras-focus .ioc-focus")).to_have_count(0)
    page.wait_for_function("window.iocTiles.all().length === 9")  # the focused peer is closed
    target.click()  # and the close button closes it too
    page.click(".ioc-focus-close")
    expect(page.locator("#cameras-focus .ioc-focus")).to_have_count(0)


def test_an_alert_near_a_camera_pops_it(live: LiveApp, wall: WatchedPage, cameras: list[dict[str, Any]]) -> None:
    page = wall.page
    page.goto(f"{live.url}/cameras?layout=2x2&group=Giao%20th%C3%B4ng&pop=1")
    expect(page.locator("#cameras-pop-enabled")).to_be_checked()
    expect(cells(page)).to_have_count(4)
    # A camera of another group: the alert brings it onto this wall anyway.
    camera = next(c for c in cameras if c["group_name"] == "Du lịch")
    engine = make_engine(live.database_url)
    with make_sessionmaker(engine)() as session:
        session.add(Alert(kind="incident", severity="critical", title="Va chạm giao thông", source="test",
                          lat=camera["lat"] + 0.0005, lon=camera["lon"]))  # ~55 m north of it
        session.commit()
    engine.dispose()
    focus = page.locator("#cameras-focus .ioc-focus .ioc-tile")
    expect(focus).to_have_attribute("data-camera-id", str(camera["id"]), timeout=60_000)
    expect(focus).to_have_attribute("data-quality", "main")
    expect(page.locator("#cameras-pop-notice")).to_contain_text("Va chạm giao thông")
    expect(page.locator("#cameras-pop-notice")).to_contain_text(camera["name"])
    page.keyboard.press("Escape")
    expect(cells(page).first).to_have_attribute("data-cell-camera", str(camera["id"]))


def test_map_camera_popup_plays_a_tile(live: LiveApp, wall: WatchedPage) -> None:
    page = wall.page
    page.goto(f"{live.url}/map")
    markers = page.locator("#map-map path.leaflet-interactive[stroke='#fff']")  # camera points only
    expect(markers.first).to_be_attached()
    markers.first.dispatch_event("click")
    popup = page.locator(".leaflet-popup .ioc-tile")
    expect(popup).to_have_attribute("data-quality", "sub")
    wait_live(page, ".leaflet-popup .ioc-tile")
    page.locator(".leaflet-popup-close-button").click()
    page.wait_for_function("window.iocTiles.all().length === 0")  # closing the popup closes the peer
