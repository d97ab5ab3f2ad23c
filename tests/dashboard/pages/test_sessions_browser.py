"""Sessions and the page policy in a real headless Chromium, against `python app.py`.

The Content-Security-Policy leaves every page working (no violation on any of them: Dash's inline
scripts run by their hashes); another site cannot frame a page; the navbar's button logs out with a
POST; and a screen whose session is ended on the server (a deactivated account) leaves for the login
page by itself, through its live feed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from data.accounts.users import create_user, set_active
from data.models import Role, User
from tests.browser import LiveApp, login, start_app, stop_app, watch
from tests.dbfixtures import open_runtime
from tests.http_pages import Pages

pytestmark = pytest.mark.browser
PASSWORD = "mat-khau-van-hanh-1"
# Recorded in the page before any of its scripts run: a violation is also an event, not only a console line.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.cspViolations.push(
    `${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`));
"""


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """A small demo city (reports, cameras on the demo RTSP server, sensors): every page has content."""
    app = start_app(tmp_path_factory.mktemp("sessions"), IOC_DEMO="true", IOC_DEMO_REPORTS="300",
                    IOC_DEMO_CAMERAS="2")
    with open_runtime(app.database_url) as runtime, runtime.session() as s:
        create_user(s, "vanhanh", PASSWORD, Role.OPERATOR)
        create_user(s, "manhinh", PASSWORD, Role.OPERATOR)
    yield app
    stop_app(app)


def test_every_page_runs_under_the_policy(live: LiveApp, browser: Browser) -> None:
    context = browser.new_context()
    context.add_init_script(RECORD_VIOLATIONS)
    watched = watch(context.new_page())
    page = watched.page
    login(page, live.url, "vanhanh", PASSWORD)
    for path, ready in (("/", "#overview-open"), ("/map", "#map-map .leaflet-container, #map-map.leaflet-container"),
                        ("/reports", "#reports-grid .ag-root"), ("/kpis", "#kpis-body"),
                        ("/alerts", "#alerts-raise-open"), ("/cameras", ".ioc-wall-cell video"),
                        ("/environment", "#environment-table table"), ("/public", "#public-code")):
        page.goto(f"{live.url}{path}")
        expect(page.locator(ready).first).to_be_attached(timeout=30_000)
        expect(page.locator("#live-indicator")).to_have_attribute("data-state", "on", timeout=30_000)
        assert page.evaluate("window.cspViolations") == [], path
    assert watched.errors == [], "\n".join(watched.errors)
    context.close()


def test_another_site_cannot_frame_a_page(live: LiveApp, browser: Browser) -> None:
    other_site = Pages()  # another origin (another port) that puts the login page in a frame
    other_site.pages["/"] = ("text/html", f'<iframe id="f" src="{live.url}/login"></iframe>'.encode())
    try:
        context = browser.new_context()
        page = context.new_page()
        with page.expect_console_message(lambda m: "frame-ancestors 'none'" in m.text, timeout=30_000):
            page.goto(other_site.url)
        framed = next(f for f in page.frames if f != page.main_frame)
        assert framed.locator("#login-submit").count() == 0  # nothing of the page was shown inside
        context.close()
    finally:
        other_site.close()


def test_the_navbar_button_logs_out(live: LiveApp, browser: Browser) -> None:
    context = browser.new_context()
    watched = watch(context.new_page())
    page = watched.page
    login(page, live.url, "vanhanh", PASSWORD)
    page.click("#shell-logout")
    page.wait_for_url(f"{live.url}/login")
    page.goto(f"{live.url}/reports")
    page.wait_for_url(re.compile(r"/login\?required=1"))
    assert watched.errors == [], "\n".join(watched.errors)
    context.close()


def test_a_screen_whose_session_ends_goes_to_the_login_page(live: LiveApp, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    login(page, live.url, "manhinh", PASSWORD)
    page.goto(f"{live.url}/alerts")
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "on", timeout=30_000)
    with open_runtime(live.database_url) as runtime, runtime.session() as s:
        assert set_active(s, s.query(User).filter_by(username="manhinh").one(), False) == 1
    # The feed notices at its next heartbeat (10 s), the screen asks /live/session and is sent away.
    page.wait_for_url(re.compile(r"/login\?required=1&next=%2Falerts"), timeout=90_000)
    expect(page.locator("#login-message")).to_be_visible()
    context.close()
