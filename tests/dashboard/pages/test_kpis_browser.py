"""The leaders' page in a real headless Chromium: cards with statuses and changes, a card's detail
with its trend, breakdowns and comparison, the series as CSV, the wall screen, English."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect

from data.kpis.status import period_of, shift_period
from data.models import AdminUnit, Agency, Indicator, IndicatorValue, Role
from tests.browser import LiveApp, login, start_app_with_user, stopped_at_end, watch
from tests.dbfixtures import open_runtime

pytestmark = pytest.mark.browser
PASSWORD = "mat-khau-lanh-dao-1"


def _seed(database_url: str) -> None:
    this_month = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    last = shift_period(this_month, "month", -1)
    with open_runtime(database_url) as runtime, runtime.session() as s:
        ward = AdminUnit(level="ward", code="W1", name="Phường Vĩnh Ninh")
        agency = Agency(code="so-tttt", name="Sở Thông tin và Truyền thông")
        online = Indicator(code="online_pct", name="Tỷ lệ hồ sơ trực tuyến", name_en="Applications filed online",
                           theme="public_services", unit="%", frequency="month", direction="up", target=80.0,
                           amber_threshold=70.0, red_threshold=60.0, source="Hệ thống TTHC", owner="Sở TT&TT")
        accidents = Indicator(code="accidents", name="Số vụ tai nạn giao thông", name_en="Road accidents",
                              theme="security", unit="vụ", frequency="month", direction="down", target=15.0,
                              amber_threshold=20.0, red_threshold=25.0)
        grdp = Indicator(code="grdp_per_capita", name="GRDP bình quân đầu người", name_en="GRDP per capita",
                         theme="economy", unit="triệu đồng", frequency="year", direction="up", target=85.0)
        s.add_all([ward, agency, online, accidents, grdp])
        s.flush()
        rows = []
        for k in range(13):  # thirteen months up to last month: the newest one red
            start = shift_period(last, "month", -k)
            rows.append((online, start, 55.0 if k == 0 else 70.0 + k, {}))
            rows.append((accidents, start, 12.0 if k == 0 else 18.0, {}))
        label_start = period_of(last, "month")[1]
        rows += [(online, label_start, 91.5, {"admin_unit_id": ward.id}),
                 (online, label_start, 48.0, {"agency_id": agency.id})]
        year = date(this_month.year - 1, 1, 1)
        rows += [(grdp, year, 84.1, {}), (grdp, year, 140.2, {"place": "Đà Nẵng"}),
                 (grdp, year, 62.0, {"place": "Quảng Trị"})]
        for ind, start, value, extra in rows:
            label, first = period_of(start, ind.frequency)
            s.add(IndicatorValue(indicator_id=ind.id, period=label, period_start=first, value=value, **extra))


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    with stopped_at_end(start_app_with_user(tmp_path_factory.mktemp("kpis"), "lanhdao", PASSWORD, Role.LEADER)) as app:
        _seed(app.database_url)
        yield app


def test_leader_reads_cards_and_drills_down(live: LiveApp, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
    watched = watch(context.new_page())
    page = watched.page
    login(page, live.url, "lanhdao", PASSWORD)
    page.goto(f"{live.url}/kpis")
    online = page.locator('[data-kpi="online_pct"]')
    expect(online).to_have_attribute("data-status", "red")
    expect(online).to_contain_text("55")
    expect(online.locator('[data-change="previous"]')).to_have_attribute("data-better", "false")
    expect(online).to_contain_text("cập nhật")
    accidents = page.locator('[data-kpi="accidents"]')
    expect(accidents).to_have_attribute("data-status", "green")
    # Fewer accidents than a month before: an arrow down, and good.
    expect(accidents.locator('[data-change="previous"]')).to_have_attribute("data-better", "true")
    expect(accidents.locator('[data-change="previous"]')).to_contain_text("▼")
    # Themes in the configured order: economy before public services before security (the app's
    # own kpi.compute_reports job may have added its citizen-report cards by now: they sit in between).
    ours = ["kpis-theme-economy", "kpis-theme-public_services", "kpis-theme-security"]
    sections = [el.get_attribute("id") for el in page.locator("[id^=kpis-theme-]").all()]
    assert [ident for ident in sections if ident in ours] == ours

    page.click("#kpi-card-online_pct")
    page.wait_for_url(f"{live.url}/kpis/online_pct")
    expect(page.locator("#kpi-title")).to_have_text("Tỷ lệ hồ sơ trực tuyến")
    expect(page.locator("#kpi-trend .main-svg").first).to_be_visible()
    expect(page.locator("#kpi-trend")).to_contain_text("Mục tiêu")
    expect(page.locator("#kpi-by-unit")).to_contain_text("Phường Vĩnh Ninh")
    expect(page.locator("#kpi-by-agency")).to_contain_text("Sở Thông tin và Truyền thông")
    expect(page.locator("#kpi-map-link")).to_have_attribute("href", "/map?shade=open&layers=boundaries,density")
    with page.expect_download() as download:
        page.click("#kpi-csv-button")
    lines = download.value.path().read_text(encoding="utf-8").splitlines()
    assert lines[0] == "code,period,period_start,value,unit,target,status,received_at"
    assert len(lines) == 14 and lines[-1].startswith("online_pct,") and ",55.0,%,80.0,red," in lines[-1]

    page.goto(f"{live.url}/kpis/grdp_per_capita")
    places = page.locator("#kpi-places")
    expect(places).to_contain_text("Đà Nẵng")
    expect(places).to_contain_text("Địa phương ta")

    page.goto(f"{live.url}/kpis?wall=1")
    expect(page.locator("#kpis-body.ioc-kpi-wall")).to_be_visible()
    expect(page.locator("#shell-navbar")).to_be_hidden()

    page.goto(f"{live.url}/lang/en")
    page.goto(f"{live.url}/kpis/online_pct")
    expect(page.locator("#kpi-title")).to_have_text("Applications filed online")
    expect(page.locator('[data-kpi="online_pct"]')).to_contain_text("updated")
    assert watched.errors == []
    context.close()
