"""The public form in a real headless Chromium on a phone-sized screen, against `python app.py`."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect
from sqlalchemy import select

from dashboard.api.tiles import grid_tile_png
from data.models import Report
from tests.browser import LiveApp, start_app, stop_app, watch
from tests.dashboard.test_report_form import jpeg_with_gps, seed
from tests.dbfixtures import open_runtime

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "vi-VN"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    tmp = tmp_path_factory.mktemp("form-browser")
    url = f"sqlite:///{tmp / 'live.sqlite3'}"
    with open_runtime(url) as runtime:  # categories and a ward around the map's centre, before the app starts
        seed(runtime)
    app = start_app(tmp, IOC_DATABASE_URL=url, IOC_DEMO="false")
    yield app
    stop_app(app)


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "o-ga.jpg"
    path.write_bytes(jpeg_with_gps())
    return path


def _phone(browser: Browser, **options: object) -> BrowserContext:
    return browser.new_context(**(PHONE | options))  # type: ignore[arg-type]


def _report(live: LiveApp, code: str) -> dict[str, object] | None:
    with open_runtime(live.database_url) as runtime, runtime.session() as session:
        report = session.scalar(select(Report).where(Report.tracking_code == code))
        if report is None:
            return None
        return {"channel": report.channel, "consent": report.publish_consent, "category": report.category_id,
                "lat": report.lat, "files": [a.kind for a in report.attachments]}


def test_a_citizen_sends_a_report_with_a_photo_from_a_phone(live: LiveApp, browser: Browser, photo: Path) -> None:
    context = _phone(browser)
    watched = watch(context.new_page())
    page = watched.page
    page.goto(f"{live.url}/phan-anh")
    expect(page.locator("h1")).to_have_text("Gửi phản ánh hiện trường")
    expect(page.locator("#rf-map .leaflet-tile-loaded").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone

    page.locator("#rf-map").click()  # the middle of the map: the city centre
    expect(page.locator("#rf-place-status")).to_contain_text("Đã chọn vị trí")
    expect(page.locator("#rf-map .leaflet-marker-icon")).to_have_count(1)
    assert page.input_value("#rf-lat") and page.input_value("#rf-lon")
    page.select_option("#rf-category", "duong-pho")
    page.fill("#rf-description", "Ổ gà sâu trước chợ Đông Ba, xe máy suýt ngã.")
    expect(page.locator("#rf-count")).to_have_text("44")
    page.set_input_files("#rf-media", str(photo))
    expect(page.locator("#rf-file-list")).to_contain_text("o-ga.jpg")
    page.check("#rf-consent")
    page.click("#rf-submit")

    code = page.locator("#rf-code")
    expect(code).to_have_text(re.compile(r"^HUE-\d{4}-[2-9A-Z]{7}$"))
    expect(page.locator("#rf-follow")).to_have_attribute("href", f"/public?code={code.inner_text()}")
    report = _report(live, code.inner_text())
    assert report is not None and report["channel"] == "web" and report["consent"] is True
    assert report["category"] is not None and report["lat"] is not None
    assert report["files"] == ["photo"]
    assert watched.errors == []
    context.close()


def test_my_location_button_uses_the_phones_position(live: LiveApp, browser: Browser) -> None:
    context = _phone(browser, geolocation={"latitude": 16.4701, "longitude": 107.5802},
                     permissions=["geolocation"])
    page = context.new_page()
    page.goto(f"{live.url}/phan-anh")
    page.click("#rf-locate")
    expect(page.locator("#rf-lat")).to_have_value("16.470100")
    expect(page.locator("#rf-lon")).to_have_value("107.580200")
    context.close()


def test_too_long_text_shows_the_error_next_to_the_field_and_keeps_the_input(live: LiveApp,
                                                                             browser: Browser) -> None:
    context = _phone(browser)
    watched = watch(context.new_page())
    page = watched.page
    page.goto(f"{live.url}/phan-anh")
    text = "Rác thải đổ bừa bãi. " * 190 + "x" * 11
    assert len(text) == 4001
    page.locator("#rf-map").click()
    page.fill("#rf-description", text)
    expect(page.locator("#rf-counter")).to_have_class(re.compile("rf-over"))
    page.click("#rf-submit")
    error = page.locator("#rf-err-description")
    expect(error).to_be_visible()
    expect(error).to_contain_text("4001 ký tự, vượt giới hạn 4000 ký tự")
    expect(page.locator("#rf-description")).to_have_class(re.compile("is-invalid"))
    assert page.input_value("#rf-description") == text
    expect(page.locator("#rf-message")).to_contain_text("Chưa gửi được")
    # Shortened, the same page (and token) sends it.
    page.fill("#rf-description", text[:3000])
    page.click("#rf-submit")
    expect(page.locator("#rf-code")).to_be_visible()
    assert [e for e in watched.errors if "400" not in e] == []  # the refused POST logs a 400
    context.close()


def test_without_javascript_the_form_still_works(live: LiveApp, browser: Browser) -> None:
    context = _phone(browser, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live.url}/phan-anh")
    expect(page.locator("#rf-map")).to_be_hidden()  # a map needs JS; the address is the way then
    page.fill("#rf-address", "12 Hùng Vương, Huế")
    page.fill("#rf-description", "x" * 4001)
    page.click("#rf-submit")
    expect(page.locator("#rf-err-description")).to_contain_text("vượt giới hạn 4000")
    assert page.input_value("#rf-address") == "12 Hùng Vương, Huế"
    page.fill("#rf-description", "Cây đổ chắn ngang đường.")
    page.click("#rf-submit")
    expect(page.locator("#rf-code")).to_have_text(re.compile(r"^HUE-"))
    context.close()


class _TileHandler(BaseHTTPRequestHandler):
    """Any path is one grid tile; the paths asked for are kept, to show the browser really came."""

    asked: list[str]

    def do_GET(self) -> None:
        body = grid_tile_png()
        self.asked.append(f"{self.headers.get('Host')}{self.path}")
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tile_server() -> Iterator[tuple[int, list[str]]]:
    """A tile server of a city's own, on loopback: another origin than the app's."""
    asked: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Tiles", (_TileHandler,), {"asked": asked}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1]), asked
    server.shutdown()
    server.server_close()
    thread.join()


# As OpenStreetMap's own URL is written; and with {s}, Leaflet's a/b/c subdomains (a.localhost is loopback).
@pytest.mark.parametrize("host", ["127.0.0.1", "{s}.localhost"])
def test_the_maps_tiles_come_from_the_configured_tile_server(tmp_path: Path, browser: Browser, host: str,
                                                             tile_server: tuple[int, list[str]]) -> None:
    port, asked = tile_server
    with open_runtime(f"sqlite:///{tmp_path / 'live.sqlite3'}") as runtime:
        seed(runtime)
    app = start_app(tmp_path, IOC_DATABASE_URL=f"sqlite:///{tmp_path / 'live.sqlite3'}", IOC_DEMO="false",
                    IOC_MAP_TILE_URL=f"http://{host}:{port}/{{z}}/{{x}}/{{y}}.png")
    try:
        context = _phone(browser)
        page = context.new_page()
        watched = watch(page)
        page.add_init_script("window.cspViolations = [];"
                             "document.addEventListener('securitypolicyviolation', function (e) {"
                             "  window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI); });")
        page.goto(f"{app.url}/phan-anh")
        tiles = page.locator("#rf-map img.leaflet-tile")
        expect(tiles.first).to_be_visible(timeout=30_000)
        # Every tile Leaflet placed ends loaded (a refused one gets leaflet-tile-loaded too, but no pixels).
        page.wait_for_function("() => { const t = document.querySelectorAll('#rf-map img.leaflet-tile');"
                               " return t.length > 0 && [...t].every(i => i.complete); }", timeout=30_000)
        sizes = page.eval_on_selector_all("#rf-map img.leaflet-tile", "t => t.map(i => i.naturalWidth)")
        assert sizes and all(size == 256 for size in sizes), sizes
        served = re.escape(host).replace(re.escape("{s}"), "[abc]")
        assert asked and all(re.fullmatch(rf"{served}:{port}/\d+/\d+/\d+\.png", a) for a in asked), asked
        assert page.evaluate("window.cspViolations") == []
        assert watched.errors == []
        context.close()
    finally:
        stop_app(app)
