"""Cảnh báo (/warnings) in a real headless Chromium: an operator publishes a warning, a citizen sees it on
/public (and it is counted), the operator ends it and it is gone."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from data.models import Role
from tests.browser import LiveApp, login, start_app_with_user, stop_app, watch

pytestmark = pytest.mark.browser
PASSWORD = "mat-khau-van-hanh-1"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    app = start_app_with_user(tmp_path_factory.mktemp("warnings"), "vanhanh", PASSWORD, Role.OPERATOR)
    yield app
    stop_app(app)


def test_an_operator_warns_the_public_and_ends_the_warning(live: LiveApp, browser: Browser) -> None:
    operator = browser.new_context(viewport={"width": 1400, "height": 1000})
    watched = watch(operator.new_page())
    page = watched.page
    login(page, live.url, "vanhanh", PASSWORD)
    page.goto(f"{live.url}/warnings")
    expect(page.locator("h1")).to_have_text("Cảnh báo cho người dân")

    page.click("#warnings-publish")  # nothing typed: refused, in Vietnamese
    expect(page.locator("#warnings-error")).to_have_text("Cần nhập tiêu đề cảnh báo.")
    page.fill("#warnings-new-title", "Mưa lớn, nguy cơ ngập tại phường Vĩnh Ninh")
    page.fill("#warnings-new-body", "Hạn chế đi qua đường Lê Lợi từ 14 giờ.")
    page.select_option("#warnings-new-severity", "critical")
    page.click("#warnings-publish")
    expect(page.locator("#warnings-done")).to_contain_text("Đã phát cảnh báo")
    row = page.locator("#warnings-table tbody tr").first
    expect(row).to_contain_text("Khẩn cấp")

    citizen = browser.new_context()  # no login
    public = citizen.new_page()
    public.goto(f"{live.url}/public")
    shown = public.locator("#public-warnings .ioc-public-warning")
    expect(shown).to_have_count(1)
    expect(shown).to_contain_text("Mưa lớn, nguy cơ ngập tại phường Vĩnh Ninh")
    expect(shown).to_contain_text("Hạn chế đi qua đường Lê Lợi từ 14 giờ.")
    expect(shown).to_have_class(re.compile(r"alert-danger"))

    page.reload()
    expect(page.locator("[id^=warnings-views-]").first).to_have_text("1")  # the citizen's view
    page.locator("#warnings-table button", has_text="Kết thúc").first.click()
    expect(page.locator("#warnings-done")).to_have_text("Đã kết thúc cảnh báo.")
    public.reload()
    expect(public.locator("#public-received")).to_be_visible()
    expect(public.locator("#public-warnings .ioc-public-warning")).to_have_count(0)
    assert watched.errors == []
    citizen.close()
    operator.close()
