"""Tài khoản (/admin/users) in a real headless Chromium, against `python app.py` on an empty database.

An admin creates an agency account and reads its one-time password once; the new user logs in, is held on
"change your password" (a weak password is refused, naming the field), sets their own and reaches the
pages of their role, not the admin's. Two admins edit that account at once: the second is told. A
deactivation signs the user out. Every page met is checked with axe-core (WCAG 2.1 A/AA).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from data.accounts.users import create_user
from data.models import Agency, Role
from tests.axe import assert_accessible
from tests.browser import ADMIN, LiveApp, login, start_app, stop_app, stopped_at_end, watch
from tests.dbfixtures import open_runtime

pytestmark = pytest.mark.browser
SECOND_ADMIN = ("quantri2", "mat-khau-quan-tri-02")
OWN = "sông Hương mùa thu lá vàng"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    app = start_app(tmp_path_factory.mktemp("admin-users"), IOC_DEMO="false")
    with stopped_at_end(app, only_on_error=True), open_runtime(app.database_url) as runtime, \
            runtime.session() as s:
        s.add_all([Agency(code="cong-trinh", name="Ban Quản lý công trình"),
                   Agency(code="chieu-sang", name="Công ty Chiếu sáng")])
        create_user(s, *SECOND_ADMIN, Role.ADMIN)
    yield app
    stop_app(app)


def _admin(browser: Browser, live: LiveApp, account: tuple[str, str] = ADMIN) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    login(page, live.url, *account)
    return context, page


def _create(page: Page, username: str) -> None:
    page.fill("#admin-users-new-username", username)
    page.fill("#admin-users-new-full_name", "Phạm Thị Cán Bộ")
    page.select_option("#admin-users-new-role", "agency")
    page.select_option("#admin-users-new-agency_id", label="Ban Quản lý công trình")
    page.click("#admin-users-new-submit")


def test_create_log_in_forced_change_then_the_pages_of_the_role(live: LiveApp, browser: Browser) -> None:
    context, page = _admin(browser, live)
    watched = watch(page)
    page.click("#shell-nav-admin")  # the navbar shows admins the way in
    page.wait_for_url(f"{live.url}/admin")
    expect(page.locator("#admin-sections")).to_contain_text("Tài khoản")
    assert_accessible(page)
    page.click("#admin-link-users")
    page.wait_for_url(f"{live.url}/admin/users")
    expect(page.locator("#admin-users-row-quantri2")).to_contain_text("Quản trị viên")
    assert_accessible(page)

    _create(page, "canbo-a")
    one_time = page.locator("#admin-users-one-time").inner_text()
    assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", one_time), one_time
    row = page.locator("#admin-users-row-canbo-a")
    expect(row).to_contain_text("Ban Quản lý công trình")
    expect(row).to_contain_text("Phải đổi mật khẩu")
    assert_accessible(page)  # with the outcome shown
    _create(page, "CANBO-A")  # the same name in capitals: refused, naming the field
    expect(page.locator("#admin-users-new-error")).to_contain_text("Tên đăng nhập")
    expect(page.locator("#admin-users-new-error")).to_contain_text("đã có người dùng")
    page.reload()  # shown once: gone from the page for good
    expect(page.locator("#admin-users-row-canbo-a")).to_be_visible()
    assert one_time not in page.content()

    user = browser.new_context()
    own = user.new_page()
    own.goto(f"{live.url}/login")
    own.fill("#username", "canbo-a")
    own.fill("#password", one_time)
    own.click("#login-submit")
    own.wait_for_url(re.compile(r"/password\?next="))
    expect(own.locator("#password-forced")).to_be_visible()
    assert_accessible(own)
    own.goto(f"{live.url}/reports")  # held on the password page
    own.wait_for_url(re.compile(r"/password\?next=/reports"))
    own.fill("#current_password", one_time)
    own.fill("#new_password", "canboa2025")
    own.fill("#repeat_password", "canboa2025")
    own.click("#password-submit")
    expect(own.locator("#password-message")).to_contain_text("Mật khẩu mới")
    expect(own.locator("#new_password")).to_have_attribute("aria-invalid", "true")
    assert_accessible(own)
    own.fill("#current_password", one_time)
    own.fill("#new_password", OWN)
    own.fill("#repeat_password", OWN)
    own.click("#password-submit")
    own.wait_for_url(f"{live.url}/reports")  # where they were going
    expect(own.locator("#reports-grid .ag-root")).to_be_attached()
    expect(own.locator("#shell-nav-admin")).to_have_count(0)
    own.goto(f"{live.url}/admin/users")
    expect(own.get_by_text("Tài khoản của bạn không có quyền xem trang này.")).to_be_visible()
    user.close()
    page.reload()
    expect(page.locator("#admin-users-row-canbo-a")).not_to_contain_text("Phải đổi mật khẩu")
    assert watched.errors == [], "\n".join(watched.errors)
    context.close()


def _open(page: Page, username: str) -> None:
    page.goto(page.url)
    page.locator(f"#admin-users-row-{username} button").click()
    expect(page.locator("#admin-users-panel-title")).to_contain_text(username)


def test_two_admins_editing_one_account_and_a_deactivation(live: LiveApp, browser: Browser) -> None:
    first, a = _admin(browser, live)
    second, b = _admin(browser, live, SECOND_ADMIN)
    a.goto(f"{live.url}/admin/users")
    _create(a, "canbo-b")
    expect(a.locator("#admin-users-one-time")).to_be_visible()
    b.goto(f"{live.url}/admin/users")
    for page in (a, b):  # both open the account's panel at the same version
        _open(page, "canbo-b")
    assert_accessible(a)  # the edit panel open
    a.fill("#admin-users-edit-full_name", "Tên do quản trị 1 sửa")
    a.click("#admin-users-save")
    expect(a.locator("#admin-users-panel-done")).to_be_visible()
    b.select_option("#admin-users-edit-role", "operator")
    b.click("#admin-users-save")
    expect(b.locator("#admin-users-panel-error")).to_contain_text("người khác thay đổi")
    b.reload()
    row = b.locator("#admin-users-row-canbo-b")
    expect(row).to_contain_text("Tên do quản trị 1 sửa")
    expect(row).to_contain_text("Cán bộ đơn vị")  # the second admin's role change was not applied

    _open(b, "canbo-b")  # reopened: now at the current version, the second admin's change goes through
    b.select_option("#admin-users-edit-role", "operator")
    b.click("#admin-users-save")
    expect(b.locator("#admin-users-panel-done")).to_be_visible()
    b.click("#admin-users-toggle-active")
    expect(b.locator("#admin-users-panel-done")).to_contain_text("Đã khoá tài khoản")
    expect(b.locator("#admin-users-toggle-active")).to_have_text("Mở lại tài khoản")
    expect(b.locator("#admin-users-row-canbo-b")).to_contain_text("Đã khoá")
    first.close()
    second.close()
