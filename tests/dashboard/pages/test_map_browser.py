"""The map page in a real headless Chromium: filters in the URL redraw the heatmap, a URL restores them, the
shade switch changes the legend, a ward opens its panel, a drawn circle selects reports and exports them.

The app runs without demo data; the test seeds two wards and their reports before the first page load
(the app's answer cache lives in its own process and would not see later writes from here).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from data.models import AdminUnit, AuditEntry, Category, Report, ReportStatus, utcnow
from data.reports.filters import ReportFilter
from layers.density import density_cells
from tests.browser import LiveApp, login, start_app, stopped_at_end, watch
from tests.dbfixtures import open_runtime
from tests.factories import HUE_LAT, HUE_LON

pytestmark = pytest.mark.browser
NORTH = HUE_LAT + 0.03  # the second ward's centre
PERSONAL = ("Trần Thị Bình", "0912345678")


def _square(lat: float, lon: float, half: float = 0.01) -> dict[str, object]:
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half],
            [lon - half, lat - half]]
    return {"type": "Polygon", "coordinates": [ring]}


def _seed(database_url: str) -> None:
    """Ward A (2,000 residents): 6 new reports and 2 resolved ones rated 5, all within 150 m of its centre;
    ward B (5,000): 3 in progress, one overdue."""
    now = utcnow()
    with open_runtime(database_url) as runtime, runtime.session() as s:
        roads = Category(code="roads", name="Giao thông", name_en="Roads")
        lights = Category(code="lights", name="Chiếu sáng", name_en="Street lights")
        a = AdminUnit(level="ward", code="19900", name="Phường Thuận Hòa", population=2000,
                      boundary=_square(HUE_LAT, HUE_LON))
        b = AdminUnit(level="ward", code="19901", name="Phường Tây Lộc", population=5000,
                      boundary=_square(NORTH, HUE_LON))
        s.add_all([roads, lights, a, b])
        s.flush()

        def add(n: int, unit: AdminUnit, lat: float, status: str, category: int, **extra: object) -> None:
            offset = 0.0004 * n  # ~45 m apart: a few density cells
            s.add(Report(tracking_code=f"M-{unit.code}-{status}-{n}", channel="web", category_id=category,
                         admin_unit_id=unit.id, status=status, description="Đèn đường hỏng", lat=lat + offset,
                         lon=HUE_LON + offset, reporter_name=PERSONAL[0], reporter_phone=PERSONAL[1],
                         created_at=now - timedelta(days=n + 1), **extra))

        for n in range(6):
            add(n, a, HUE_LAT, ReportStatus.RECEIVED, roads.id)
        for n in range(2):
            add(n, a, HUE_LAT, ReportStatus.RESOLVED, roads.id, rating=5)
        for n in range(3):
            add(n, b, NORTH, ReportStatus.IN_PROGRESS, lights.id,
                expected_at=now - timedelta(hours=1) if n == 0 else now + timedelta(days=3))


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    with stopped_at_end(start_app(tmp_path_factory.mktemp("map"), IOC_DEMO="false",
                                  IOC_MAP_DARK_TILE_URL="/tiles/dark/{z}/{x}/{y}.png")) as app:
        _seed(app.database_url)
        yield app


@pytest.fixture
def page(live: LiveApp, browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
    watched = watch(context.new_page())
    login(watched.page, live.url)
    yield watched.page
    context.close()  # before the check: a failing check must not leave the page open
    assert watched.errors == []


def _cells(live: LiveApp, zoom: int, **filters: object) -> int:
    """How many density cells the database counts for this filter at this zoom."""
    from data.core.db import make_engine, make_sessionmaker

    engine = make_engine(live.database_url)
    try:
        with make_sessionmaker(engine)() as s:
            return len(density_cells(s, ReportFilter(since=utcnow() - timedelta(days=30), **filters), zoom)[1])
    finally:
        engine.dispose()


def test_a_filter_goes_into_the_url_and_redraws_the_heatmap(live: LiveApp, page: Page) -> None:
    page.goto(f"{live.url}/map")
    cells = page.locator("#map-map path.ioc-map-cell")
    expect(cells).to_have_count(_cells(live, 13))
    page.click("#map-status")
    page.get_by_role("option", name="Đang xử lý", exact=True).click()
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r"/map\?status=in_progress$"))
    expected = _cells(live, 13, statuses=("in_progress",))
    assert 0 < expected < _cells(live, 13)
    expect(cells).to_have_count(expected)
    # The same filter opens on the reports page, and comes back from there.
    expect(page.locator("#map-reports-link")).to_have_attribute("href", "/reports?status=in_progress")
    page.click("#map-reports-link")
    page.wait_for_url(re.compile(r"/reports\?status=in_progress$"))
    expect(page.locator("#reports-total")).to_have_text("3 phản ánh")
    expect(page.locator("#reports-map-link")).to_have_attribute("href", "/map?status=in_progress")
    page.click("#reports-map-link")
    page.wait_for_url(re.compile(r"/map\?status=in_progress$"))
    expect(page.locator("#map-status")).to_contain_text("Đang xử lý")
    expect(cells).to_have_count(expected)


def test_a_url_restores_filters_shade_and_view(live: LiveApp, page: Page) -> None:
    query = {"status": "received", "shade": "satisfaction", "z": "15", "lat": f"{HUE_LAT:.5f}",
             "lon": f"{HUE_LON:.5f}", "base": "dark"}
    page.goto(f"{live.url}/map?{urlencode(query)}")
    expect(page.locator("#map-status")).to_contain_text("Mới tiếp nhận")
    expect(page.locator("#map-legend-title")).to_have_text("Mức hài lòng (1–5 ★)")
    expect(page.locator("#map-shade input[value='satisfaction']")).to_be_checked()
    expect(page.locator("#map-map path.ioc-map-cell")).to_have_count(_cells(live, 15, statuses=("received",)))
    expect(page.locator("#map-map img.leaflet-tile[src*='/tiles/dark/15/']").first).to_be_attached()
    assert "status=received" in page.url and "base=dark" in page.url and "z=15" in page.url


def test_the_shade_switch_changes_the_legend_and_the_url(live: LiveApp, page: Page) -> None:
    page.goto(f"{live.url}/map")
    legend = page.locator("#map-legend .ioc-map-legend-box")
    expect(legend).to_have_attribute("data-shade", "open")
    expect(page.locator("#map-legend-title")).to_have_text("Phản ánh đang xử lý")
    page.locator("#map-shade").get_by_text("Tỷ lệ quá hạn (%)").click()
    expect(legend).to_have_attribute("data-shade", "overdue_pct")
    expect(page.locator("#map-legend-title")).to_have_text("Tỷ lệ quá hạn (%)")
    expect(legend).to_contain_text("80 – 100")
    page.wait_for_url(re.compile(r"shade=overdue_pct"))


def test_clicking_a_ward_opens_its_panel(live: LiveApp, page: Page) -> None:
    # Only the boundaries on, centred on ward B: the map's centre is inside it and nothing lies above it.
    page.goto(f"{live.url}/map?{urlencode({'layers': 'boundaries', 'z': '15', 'lat': NORTH, 'lon': HUE_LON})}")
    expect(page.locator("#map-map path.ioc-map-area").first).to_be_attached()
    box = page.locator("#map-map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#map-panel-name")).to_have_text("Phường Tây Lộc")
    expect(page.locator("#map-panel-reports")).to_have_text("3")
    expect(page.locator("#map-panel-open")).to_have_text("3")
    expect(page.locator("#map-panel-overdue")).to_have_text("33,3 %")
    expect(page.locator("#map-panel-per-1000")).to_have_text("0,60")
    expect(page.locator("#map-panel-categories")).to_contain_text("Chiếu sáng")
    expect(page.locator("#map-panel-statuses")).to_contain_text("Đang xử lý")


def test_a_drawn_circle_selects_reports_and_exports_them(live: LiveApp, page: Page) -> None:
    page.goto(f"{live.url}/map?{urlencode({'layers': 'boundaries', 'z': '15', 'lat': HUE_LAT, 'lon': HUE_LON})}")
    expect(page.locator("#map-map path.ioc-map-area").first).to_be_attached()
    page.click("#map-map a.leaflet-draw-draw-circle")
    box = page.locator("#map-map").bounding_box()
    assert box is not None
    # From ward A's centre, 100 px at zoom 15 ≈ 460 m: all 8 of its reports (within 150 m), none of B's.
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 50, y, steps=5)
    page.mouse.move(x + 100, y, steps=5)
    page.mouse.up()
    expect(page.locator("#map-selection-count")).to_have_attribute("data-count", "8")

    with page.expect_download() as download:
        page.click("#map-export-csv")
    content = download.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert len(rows) == 1 + 8 and rows[0][0] == "Mã phản ánh"
    assert {r[0] for r in rows[1:]} == live_codes(live, "19900")
    with page.expect_download() as download:
        page.click("#map-export-geojson")
    collection = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert len(collection["features"]) == 8
    for text in (content, json.dumps(collection, ensure_ascii=False)):
        assert not any(p in text for p in PERSONAL)  # the reporter stays out, even for an admin
    actions = live.scalars(select(AuditEntry.action).where(AuditEntry.action.like("export.map.%")))
    assert sorted(actions) == ["export.map.csv", "export.map.geojson"]


def live_codes(live: LiveApp, ward_code: str) -> set[str]:
    ward = live.scalars(select(AdminUnit.id).where(AdminUnit.code == ward_code))[0]
    return set(live.scalars(select(Report.tracking_code).where(Report.admin_unit_id == ward)))


def test_playback_steps_through_the_days(live: LiveApp, page: Page) -> None:
    page.goto(f"{live.url}/map?period=7")
    label = page.locator("#map-step-label")
    expect(label).to_have_text("Cả kỳ")
    cells = page.locator("#map-map path.ioc-map-cell")
    expect(cells).to_have_count(_cells(live, 13))  # every seeded report is less than 7 days old
    page.click("#map-play")
    expect(page.locator("#map-play")).to_have_text("⏸")
    expect(label).to_have_text(re.compile(r"^\d\d/\d\d/\d{4}$"))  # one local day at a time
    page.click("#map-play")
    expect(page.locator("#map-play")).to_have_text("▶")
    # The seeded reports are spread over six days: one day holds only some of them.
    assert cells.count() < _cells(live, 13)
