"""Smoke test in a real headless Chromium: log in, open every page, see database numbers, no JS errors."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import func, select

from data.core.db import make_engine, make_sessionmaker
from data.models import Alert, Camera, MapFeature, Report
from data.overview import overview
from data.reports.queries import public_summary
from tests.browser import LiveApp, login, start_app, stop_app, watch
from tests.conftest import REDIS_URL
from tests.conftest_streams import wait_for
from tests.dbfixtures import fresh_pg_database

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", params=["embedded-sqlite", "postgres-redis"])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """The app as `python app.py` runs it: embedded (SQLite, in-process) and on PostgreSQL + Redis."""
    demo = {"IOC_DEMO": "true", "IOC_DEMO_REPORTS": "1500", "IOC_DEMO_CAMERAS": "6"}
    tmp = tmp_path_factory.mktemp("smoke")
    if request.param == "embedded-sqlite":
        app = start_app(tmp, **demo)
        yield app
        stop_app(app)
        return
    with fresh_pg_database() as url:
        app = start_app(tmp, IOC_DATABASE_URL=url, IOC_REDIS_URL=REDIS_URL,
                        IOC_REDIS_PREFIX=f"ioc-smoke-{uuid.uuid4().hex[:6]}", **demo)
        yield app
        stop_app(app)


def _digits(text: str) -> int:
    return int(re.sub(r"\D", "", text) or "0")


def test_every_page_shows_database_data(live: LiveApp, browser: Browser) -> None:
    context = browser.new_context()
    watched = watch(context.new_page())
    page = watched.page

    page.goto(f"{live.url}/cameras")
    page.wait_for_url(re.compile(r"/login\?required=1"))  # operator pages need a login
    login(page, live.url)

    engine = make_engine(live.database_url)
    with make_sessionmaker(engine)() as session:
        ov = overview(session, tz=ZoneInfo("Asia/Ho_Chi_Minh"))
        reports = session.scalar(select(func.count(Report.id)))
        first_camera = session.scalar(select(Camera.name).order_by(Camera.group_name, Camera.name))
    assert reports and reports >= 1500

    expect(page.locator("#overview-open")).to_be_visible()
    assert _digits(page.inner_text("#overview-open")) == ov.open_reports
    assert _digits(page.inner_text("#overview-overdue")) == ov.overdue_reports
    assert page.locator("#overview-kpis [data-kpi]").count() > 0
    assert page.locator("#overview-recent tbody tr").count() == 10

    page.click("#shell-nav-reports")
    expect(page.locator("#reports-total")).to_contain_text("phản ánh")
    assert _digits(page.inner_text("#reports-total")) > 0
    expect(page.locator("#reports-grid .ag-row").first).to_be_visible()

    page.click("#shell-nav-kpis")
    expect(page.locator("#kpis-body [data-kpi]").first).to_be_visible()

    with make_sessionmaker(engine)() as session:  # an open critical alert in the city: it pulses on the map
        session.add(Alert(kind="manual", severity="critical", title="Ngập sâu đường Lê Lợi", lat=16.4637,
                          lon=107.5909))
        session.add(Alert(kind="manual", severity="critical", title="Đã xử lý", lat=16.46, lon=107.59,
                          status="closed"))
        session.commit()
    page.click("#shell-nav-map")
    expect(page.locator("#map-map .leaflet-interactive").first).to_be_attached()
    assert page.locator("[id^=map-failed]").count() == 0
    # The demo's live jobs may raise critical alerts of their own meanwhile (a river past level III): the
    # map shows every open critical alert with a place, and the closed one is never among them.
    def open_critical() -> int:
        with make_sessionmaker(engine)() as session:
            return session.scalar(select(func.count()).select_from(Alert).where(
                Alert.severity == "critical", Alert.status != "closed", Alert.lat.is_not(None))) or 0

    markers = page.locator("#map-map .ioc-alert-marker.ioc-alert-critical")
    expect(markers.first).to_be_attached()
    wait_for(lambda: markers.count() == open_critical(), 60, what="the map to show every open critical alert")

    page.click("#shell-nav-cameras")
    expect(page.locator(".ioc-wall-cell").first).to_be_visible()
    expect(page.locator(".ioc-wall")).to_contain_text(first_camera or "")

    page.click("#shell-nav-environment")  # the demo's week of readings, through the real intake
    with make_sessionmaker(engine)() as session:
        gauges = session.scalars(select(MapFeature).where(MapFeature.layer == "sensor")).all()
        river = next(g for g in gauges if g.kind == "water")
    expect(page.locator("#environment-latest tbody tr")).to_have_count(len(gauges))
    # (the demo feed moves the values every minute: the format, not the figure)
    expect(page.locator(f"#environment-value-{river.code}")).to_contain_text(re.compile(r"^\d+(\.\d+)? m – "))
    page.goto(f"{live.url}/environment?sensor={river.code}")
    expect(page.locator("#environment-chart .gtitle")).to_contain_text(river.name)
    assert page.locator("#environment-chart .scatterlayer .point").count() >= 24

    page.click("#shell-nav-public")
    with make_sessionmaker(engine)() as session:
        from datetime import timedelta

        from data.models import utcnow

        summary = public_summary(session, utcnow() - timedelta(days=365))
    engine.dispose()
    expect(page.locator("#public-received")).to_be_visible()
    assert _digits(page.inner_text("#public-received")) == summary["received"]

    page.click("#shell-lang")
    expect(page.locator("#shell-nav-overview")).to_have_text("Overview")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert watched.errors == [], "\n".join(watched.errors)
    context.close()


def test_public_page_needs_no_login_and_hides_reporters(live: LiveApp, browser: Browser) -> None:
    context = browser.new_context()
    watched = watch(context.new_page())
    page = watched.page
    page.goto(f"{live.url}/public")
    expect(page.locator("#public-latest tbody tr").first).to_be_visible()
    engine = make_engine(live.database_url)
    with make_sessionmaker(engine)() as session:
        phones = [p for (p,) in session.execute(select(Report.reporter_phone).limit(200)) if p]
        code = session.scalar(select(Report.tracking_code).where(Report.published.is_(True)).limit(1))
    engine.dispose()
    html = page.content()
    assert phones and not any(p in html for p in phones)
    page.fill("#public-code", code or "")
    page.click("#public-search")
    expect(page.locator("#public-result")).to_contain_text(code or "")
    assert watched.errors == [], "\n".join(watched.errors)
    context.close()


def test_citizen_follows_rates_and_the_league_is_fair(live: LiveApp, browser: Browser) -> None:
    """The link in a citizen's reply opens their report; a resolved one can be rated once; agencies ranked."""
    engine = make_engine(live.database_url)
    with make_sessionmaker(engine)() as session:
        code = session.scalar(select(Report.tracking_code).where(
            Report.status == "resolved", Report.rating.is_(None)).order_by(Report.id.desc()).limit(1))
    assert code is not None
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    watched = watch(context.new_page())
    page = watched.page
    page.goto(f"{live.url}/public?code={code}")
    result = page.locator("#public-result")
    expect(result).to_contain_text(code)
    expect(result).to_contain_text("Đã xử lý")
    page.click("#public-rate-send")
    expect(page.locator("#public-action-result")).to_contain_text("Hãy chọn số sao")
    page.locator("#public-rating label").nth(3).click()  # 4 stars
    page.fill("#public-rating-comment", "Đã sửa xong, cảm ơn.")
    page.click("#public-rate-send")
    expect(page.locator("#public-action-done")).to_contain_text("Cảm ơn bạn đã đánh giá")
    with make_sessionmaker(engine)() as session:
        rated = session.execute(select(Report.status, Report.rating).where(Report.tracking_code == code)).one()
    assert tuple(rated) == ("closed", 4)
    expect(page.locator("#public-rate-send")).to_have_count(0)  # once only
    ranked = page.locator("#public-league tbody tr")
    expect(ranked.first).to_be_visible()
    assert ranked.first.locator("td").first.inner_text() == "1"
    page.goto(f"{live.url}/public?code=HUE-2026-KHONGCO")
    expect(page.locator("#public-found")).to_contain_text("Không tìm thấy phản ánh nào có mã này")
    engine.dispose()
    assert watched.errors == [], "\n".join(watched.errors)
    context.close()


def test_log_is_clean(live: LiveApp) -> None:
    log = live.log()
    assert "Traceback" not in log, log[-3000:]
    assert Path(live.log_path).exists()
