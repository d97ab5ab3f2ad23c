"""Nhập dữ liệu (/imports) in a real headless Chromium: upload a 311 export, dry-run, read the per-row
report, import, and find exactly the valid rows in the database."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import func, select

from data.db import make_engine, make_sessionmaker
from data.models import ImportRun, Report
from tests.browser import LiveApp, login, start_app, stop_app, watch

pytestmark = pytest.mark.browser

# A NYC 311 export in miniature: two good rows in Huế (one without coordinates), one in New York (kept,
# its point dropped), one with a date no one can read and one with nothing to say (both skipped).
EXPORT = b"""Unique Key,Created Date,Closed Date,Agency,Complaint Type,Descriptor,Incident Address,City,Status,\
Latitude,Longitude,Open Data Channel Type,Borough,Incident Zip
9001,03/01/2025 02:27:57 PM,03/02/2025 09:00:00 AM,DOT,Street Condition,Pothole,12 Le Loi,HUE,Closed,16.4637,107.5909,\
PHONE,HUE,530000
9002,03/03/2025 08:10:00 AM,,DSNY,Dirty Condition,Trash,5 Tran Hung Dao,HUE,Open,,,ONLINE,HUE,530000
9003,yesterday,,DOT,Street Condition,Pothole,1 Hung Vuong,HUE,Open,16.46,107.59,MOBILE,HUE,530000
9004,03/04/2025 10:00:00 AM,,DOT,,,3 Nguyen Hue,HUE,Open,16.46,107.59,PHONE,HUE,530000
9005,03/05/2025 11:00:00 AM,,NYPD,Noise - Residential,Loud Music/Party,100 Broadway,NEW YORK,Open,40.7128,-74.0060,\
PHONE,MANHATTAN,10001
"""


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    app = start_app(tmp_path_factory.mktemp("imports"), IOC_DEMO="true", IOC_DEMO_REPORTS="50",
                    IOC_DEMO_CAMERAS="1")
    yield app
    stop_app(app)


def _imported(live: LiveApp) -> list[Report]:
    engine = make_engine(live.database_url)
    try:
        with make_sessionmaker(engine)() as s:
            rows = list(s.scalars(select(Report).where(Report.idempotency_key.like("import:nyc311:%"))
                                  .order_by(Report.external_id)))
            s.expunge_all()
            return rows
    finally:
        engine.dispose()


def _runs(live: LiveApp) -> int:
    engine = make_engine(live.database_url)
    try:
        with make_sessionmaker(engine)() as s:
            return int(s.scalar(select(func.count()).select_from(ImportRun)) or 0)
    finally:
        engine.dispose()


def test_dry_run_then_import_keeps_exactly_the_valid_rows(live: LiveApp, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    watched = watch(context.new_page())
    page = watched.page
    login(page, live.url)
    page.goto(f"{live.url}/imports")
    expect(page.locator("h1")).to_have_text("Nhập phản ánh từ tệp CSV/Excel")
    expect(page.locator("#imports-run")).to_be_disabled()

    page.set_input_files("#imports-upload input[type=file]",
                         files=[{"name": "nyc311.csv", "mimeType": "text/csv", "buffer": EXPORT}])
    expect(page.locator("#imports-file-name")).to_have_text("nyc311.csv – 14 cột")
    page.click("#imports-preset")
    page.get_by_role("option", name="NYC 311 (NYC Open Data)").click()
    page.keyboard.press("Escape")
    expect(page.locator("#imports-mapping")).to_contain_text("Open Data Channel Type")  # the preset's mapping

    # The dry run reports every row and writes nothing but the run's record.
    page.click("#imports-dry-run")
    expect(page.locator("#imports-count-rows_total")).to_have_text("5")
    expect(page.locator("#imports-count-rows_kept")).to_have_text("3")
    expect(page.locator("#imports-count-rows_skipped")).to_have_text("2")
    problems = page.locator("#imports-problems .ag-row")
    expect(problems.first).to_be_visible()
    reasons = " ".join(page.locator("#imports-problems").all_inner_texts())
    assert "Không đọc được ngày giờ." in reasons and "Nội dung phản ánh trống." in reasons
    assert _imported(live) == [] and _runs(live) == 1

    # Checked: the import button opens, and the import writes exactly the three valid rows.
    expect(page.locator("#imports-run")).to_be_enabled()
    page.click("#imports-run")
    expect(page.locator("#imports-count-imported")).to_have_text("3")
    rows = _imported(live)
    assert [r.external_id for r in rows] == ["9001", "9002", "9005"]
    by_id = {r.external_id: r for r in rows}
    assert by_id["9001"].status == "closed" and by_id["9001"].lat is not None and by_id["9001"].admin_unit_id
    assert by_id["9002"].lat is None  # no coordinates in the export
    assert by_id["9005"].lat is None  # New York's point is not Huế's: dropped, the report kept
    expect(page.locator("#imports-history-table")).to_contain_text(re.compile(r"nyc311\.csv"))
    assert watched.errors == []
    context.close()
