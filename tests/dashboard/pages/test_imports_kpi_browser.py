"""Nhập dữ liệu → Chỉ số (KPI) in a real headless Chromium: upload the one-stop shops' sample with two bad
rows, dry-run, read the per-row report, import, and find exactly the valid values in the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from data.models import Indicator, IndicatorValue
from tests.browser import LiveApp, login, start_app, stop_app, watch

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "demo_data" / "one_stop_shop_DEMO.csv"
BAD_ROWS = ("dossiers_received,2025-09,so-khong-co,12,hồ sơ,,\n"   # row 50: no such agency
            "dossiers_late,2025-09,so-xd,nhiều,hồ sơ,,\n").encode()  # row 51: not a number


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    app = start_app(tmp_path_factory.mktemp("imports-kpi"), IOC_DEMO="true", IOC_DEMO_REPORTS="50",
                    IOC_DEMO_CAMERAS="1")
    yield app
    stop_app(app)


def _dossiers(live: LiveApp) -> int:
    return len(live.scalars(select(IndicatorValue.id).join(Indicator, Indicator.id == IndicatorValue.indicator_id)
                            .where(Indicator.code.like("dossiers_%"))))


def test_kpi_tab_dry_runs_then_imports_the_valid_rows(live: LiveApp, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    watched = watch(context.new_page())
    page = watched.page
    login(page, live.url)
    page.goto(f"{live.url}/imports")
    page.get_by_role("tab", name="Chỉ số (KPI)").click()
    expect(page.locator("#imports-kpi-run")).to_be_disabled()

    page.set_input_files("#imports-kpi-upload input[type=file]", files=[
        {"name": "mot-cua.csv", "mimeType": "text/csv", "buffer": SAMPLE.read_bytes() + BAD_ROWS}])
    expect(page.locator("#imports-kpi-file-name")).to_have_text("mot-cua.csv")
    page.click("#imports-kpi-dry-run")
    expect(page.locator("#imports-kpi-count-rows_total")).to_have_text("50")
    expect(page.locator("#imports-kpi-count-rows_kept")).to_have_text("48")
    expect(page.locator("#imports-kpi-count-new")).to_have_text("48")
    expect(page.locator("#imports-kpi-problems .ag-row").first).to_be_visible()
    reasons = " ".join(page.locator("#imports-kpi-problems").all_inner_texts())
    assert "Không nhận ra địa bàn" in reasons and "Giá trị không phải là số" in reasons
    assert _dossiers(live) == 0

    expect(page.locator("#imports-kpi-run")).to_be_enabled()
    page.click("#imports-kpi-run")
    expect(page.locator("#imports-kpi-summary")).not_to_contain_text("Chạy thử")  # the import's own figures
    expect(page.locator("#imports-kpi-count-new")).to_have_text("48")
    assert _dossiers(live) == 48
    expect(page.locator("#imports-kpi-history-table")).to_contain_text("mot-cua.csv")
    assert watched.errors == []
    context.close()
