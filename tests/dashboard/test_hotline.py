"""Tổng đài (/hotline) in a real headless Chromium: an operator enters a call and reads back the code."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from data.accounts.users import create_user
from data.models import AdminUnit, Report, ReportEvent, Role, User
from tests.browser import LiveApp, login, start_app, stop_app, watch
from tests.dashboard.test_report_form import PASSWORD, seed
from tests.dbfixtures import open_runtime

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    tmp = tmp_path_factory.mktemp("hotline")
    url = f"sqlite:///{tmp / 'live.sqlite3'}"
    with open_runtime(url) as runtime:
        seed(runtime)
        with runtime.session() as session:
            create_user(session, "phantich", PASSWORD, Role.ANALYST)
    app = start_app(tmp, IOC_DATABASE_URL=url, IOC_DEMO="false")
    yield app
    stop_app(app)


def _query(live: LiveApp, code: str) -> tuple[Report, list[str], int | None, int]:
    with open_runtime(live.database_url) as runtime, runtime.session() as session:
        report = session.scalar(select(Report).where(Report.tracking_code == code))
        assert report is not None
        events = list(session.scalars(select(ReportEvent.user_id).where(ReportEvent.report_id == report.id,
                                                                      ReportEvent.action == "created")))
        operator = session.scalar(select(User.id).where(User.username == "vanhanh"))
        ward = session.scalar(select(AdminUnit.id).where(AdminUnit.code == "W1"))
        session.expunge(report)
        return report, [str(e) for e in events], operator, int(ward or 0)


def test_an_operator_records_a_call_and_reads_back_the_code(live: LiveApp, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    watched = watch(context.new_page())
    page = watched.page
    login(page, live.url, "vanhanh", PASSWORD)
    expect(page.locator("#shell-nav-hotline")).to_have_text("Tổng đài")
    page.goto(f"{live.url}/hotline")
    expect(page.locator("h1")).to_have_text("Tiếp nhận phản ánh qua tổng đài")

    # Nothing filled: the caller's number is asked for, next to its box.
    page.click("#hotline-submit")
    expect(page.locator("#hotline-phone-error")).to_have_text("Cần nhập số điện thoại người gọi.")

    page.fill("#hotline-phone", "0234 3822 123")
    page.fill("#hotline-name", "Lê Văn C")
    page.select_option("#hotline-category", "rac-thai")
    page.fill("#hotline-description", "Rác tồn đọng ba ngày ở kiệt 5 Phan Đình Phùng.")
    page.click("#hotline-submit")  # no place yet
    expect(page.locator("#hotline-place-error")).to_contain_text("Cần vị trí")
    expect(page.locator("#hotline-phone-error")).to_have_text("")

    page.locator("#hotline-map").click()
    expect(page.locator("#hotline-point-text")).to_contain_text("Đã chọn vị trí")
    page.click("#hotline-submit")
    code = page.locator("#hotline-code")
    expect(code).to_have_text(re.compile(r"^HUE-\d{4}-[2-9A-Z]{7}$"))
    first = code.inner_text()
    page.click("#hotline-submit")  # a second click on the same call is the same report
    expect(code).to_have_text(first)

    report, events, operator, ward = _query(live, first)
    assert (report.channel, report.reporter_phone, report.reporter_name) == ("hotline", "02343822123", "Lê Văn C")
    assert report.lat is not None and report.admin_unit_id == ward
    assert events == [str(operator)]  # the "created" event names the operator who took the call
    assert watched.errors == []

    # A new call with only the ward named: the report is placed in that ward without a point.
    page.click("#hotline-new-call")
    expect(page.locator("#hotline-code")).to_have_count(0)
    page.fill("#hotline-phone", "0905999888")
    page.fill("#hotline-description", "Đèn đường tắt cả dãy phố.")
    page.select_option("#hotline-ward", label="Phường Thuận Hoá")
    page.click("#hotline-submit")
    expect(page.locator("#hotline-code")).not_to_have_text(first)
    report, _, _, ward = _query(live, page.locator("#hotline-code").inner_text())
    assert report.lat is None and report.admin_unit_id == ward
    context.close()


def test_only_operators_and_admins_get_the_hotline(live: LiveApp, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    login(page, live.url, "phantich", PASSWORD)
    expect(page.locator("#shell-nav-overview")).to_be_visible()
    expect(page.locator("#shell-nav-hotline")).to_have_count(0)
    page.goto(f"{live.url}/hotline")
    expect(page.get_by_text("Tài khoản của bạn không có quyền xem trang này.")).to_be_visible()
    context.close()
    assert requests.get(f"{live.url}/hotline", allow_redirects=False, timeout=10).status_code == 302
