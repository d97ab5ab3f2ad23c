"""Nhật ký (/audit) in a real headless Chromium: a refused page is recorded, and the administrator
reads it, filtered by kind, with the user and the address."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from data.models import Role
from tests.browser import ADMIN, LiveApp, login, start_app_with_user, stop_app, watch

pytestmark = pytest.mark.browser
PASSWORD = "mat-khau-don-vi-123"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    app = start_app_with_user(tmp_path_factory.mktemp("audit"), "donvi", PASSWORD, Role.AGENCY)
    yield app
    stop_app(app)


def test_a_refused_page_shows_in_the_admins_audit_log(live: LiveApp, browser: Browser) -> None:
    agency = browser.new_context()
    page = agency.new_page()
    login(page, live.url, "donvi", PASSWORD)
    page.goto(f"{live.url}/imports")
    expect(page.get_by_text("Tài khoản của bạn không có quyền xem trang này.")).to_be_visible()
    page.goto(f"{live.url}/audit")  # not for agencies either
    expect(page.get_by_text("Tài khoản của bạn không có quyền xem trang này.")).to_be_visible()
    agency.close()

    admin = browser.new_context(viewport={"width": 1500, "height": 1000})
    watched = watch(admin.new_page())
    page = watched.page
    login(page, live.url, *ADMIN)
    page.goto(f"{live.url}/audit")
    table = page.locator("#audit-table")
    expect(table).to_contain_text("page:/imports")
    denied = table.locator("tr", has_text="page:/imports")
    expect(denied).to_contain_text("donvi")
    expect(denied).to_contain_text("127.0.0.1")
    expect(table.locator("tr", has_text="page:/audit")).to_have_count(1)

    page.click("#audit-kind-login")
    page.wait_for_url(re.compile(r"/audit\?action=login$"))
    expect(table.locator("tbody tr")).to_have_count(2)  # donvi's login and the admin's
    assert set(table.locator("tbody tr td:nth-child(3)").all_inner_texts()) == {"login"}
    assert watched.errors == []
    admin.close()
