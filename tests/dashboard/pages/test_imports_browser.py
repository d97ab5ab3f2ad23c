"""Nhập dữ liệu (/imports) in a real headless Chromium: upload a 311 export, dry-run, read the per-row
report, import, and find exactly the valid rows in the database."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import func, select

from data.core.db import make_engine, make_sessionmaker
from data.models import Agency, Category, ImportRun, Report
from tests.browser import LiveApp, login, start_app, stop_app, watch
from tests.conftest import SHARED_DATA

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


# ---------------------------------------------------------------------------------------------
# Issue 14: the duplicate check's source, value maps, a date format that reads nothing
# ---------------------------------------------------------------------------------------------

NYC = SHARED_DATA / "reports" / "nyc311_2011_2000rows.csv"


def _dropdown(page: Page, ident: dict[str, Any]) -> Locator:
    """A pattern-matching component: Dash writes its id as sorted, compact JSON."""
    return page.locator(f"[id='{json.dumps(ident, sort_keys=True, separators=(',', ':'))}']")


def _choose(page: Page, control: Locator, *options: str) -> None:
    """Pick options of a dropdown; a multi-select's menu stays open between picks."""
    for option in options:
        choice = page.get_by_role("option", name=option, exact=True)
        if not choice.is_visible():
            control.click()
        choice.click()
    page.keyboard.press("Escape")
    expect(control).to_have_attribute("aria-expanded", "false")


def _map_columns(page: Page, columns: dict[str, str | list[str]]) -> None:
    for field, chosen in columns.items():
        _choose(page, _dropdown(page, {"type": "imports-field", "field": field}),
                *([chosen] if isinstance(chosen, str) else chosen))


def _upload(page: Page, name: str, content: bytes, columns: int) -> None:
    page.set_input_files("#imports-upload input[type=file]",
                         files=[{"name": name, "mimeType": "text/csv", "buffer": content}])
    expect(page.locator("#imports-file-name")).to_have_text(f"{name} – {columns} cột")


def _keys(live: LiveApp, prefix: str) -> list[str]:
    return sorted(live.scalars(select(Report.idempotency_key).where(Report.idempotency_key.like(f"{prefix}%"))))


def test_the_source_scopes_the_duplicate_check_and_every_skipped_row_says_why(live: LiveApp,
                                                                              browser: Browser) -> None:
    """Two unrelated systems number their reports 1, 2, ...: the second file's rows are not lost."""
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    watched = watch(context.new_page())
    page = watched.page
    login(page, live.url)
    page.goto(f"{live.url}/imports")
    columns = {"external_id": "Mã", "created_at": "Ngày", "description": ["Nội dung"]}

    _upload(page, "he-thong-a.csv", "Mã,Ngày,Nội dung\n1,01/03/2025 08:00,Ổ gà đường Lê Lợi\n"
                                    "2,01/03/2025 09:00,Đèn đường hỏng\n".encode(), 3)
    _map_columns(page, columns)
    page.fill("#imports-format", "%d/%m/%Y %H:%M")
    page.click("#imports-dry-run")  # no preset, no source: refused in a sentence, nothing written
    expect(page.locator("#imports-error")).to_contain_text("Cần đặt tên nguồn dữ liệu")
    page.fill("#imports-source", "Hệ thống A")
    page.click("#imports-dry-run")
    expect(page.locator("#imports-source-used")).to_contain_text("import:he-thong-a:")
    page.click("#imports-run")
    expect(page.locator("#imports-count-imported")).to_have_text("2")

    second = ("Mã,Ngày,Nội dung\n1,05/04/2025 08:00,Rác ven sông Hương\n2,05/04/2025 09:00,Cây đổ chắn đường\n"
              "3,05/04/2025 10:00,Ngập nước Hùng Vương\n").encode()
    _upload(page, "he-thong-b.csv", second, 3)
    expect(page.locator("#imports-source")).to_have_value("")  # a new file names its own source
    _map_columns(page, columns)
    page.fill("#imports-format", "%d/%m/%Y %H:%M")
    page.fill("#imports-source", "Hệ thống B")
    page.click("#imports-dry-run")
    expect(page.locator("#imports-count-rows_kept")).to_have_text("3")
    page.click("#imports-run")
    expect(page.locator("#imports-count-imported")).to_have_text("3")
    assert _keys(live, "import:he-thong") == ["import:he-thong-a:1", "import:he-thong-a:2", "import:he-thong-b:1",
                                               "import:he-thong-b:2", "import:he-thong-b:3"]

    # The same file again: each row is in the report, saying when and as which report it came in.
    page.click("#imports-dry-run")
    expect(page.locator("#imports-count-already")).to_have_text("3")
    expect(page.locator("#imports-count-rows_skipped")).to_have_text("3")
    expect(page.locator("#imports-run")).to_be_disabled()  # nothing left to import
    codes = dict(pair.split("=") for pair in live.scalars(select(Report.external_id + "=" + Report.tracking_code)
                                                          .where(Report.idempotency_key.like("import:he-thong-b:%"))))
    skipped = page.locator("#imports-problems .ag-row").filter(has_text="Đã nhập từ nguồn")
    expect(skipped).to_have_count(3)
    for row, (external_id, code) in enumerate(sorted(codes.items()), start=2):
        line = skipped.filter(has=page.locator(f".ag-cell[col-id='row']:text-is('{row}')"))
        expect(line.locator(".ag-cell[col-id='message']")).to_have_text(re.compile(
            rf"^Đã nhập từ nguồn «he-thong-b» lúc \d\d/\d\d/\d{{4}} \d\d:\d\d \(lần nhập #\d+\), "
            rf"thành phản ánh {code}; bỏ qua\.$"))
        expect(line.locator(".ag-cell[col-id='value']")).to_have_text(external_id)
    assert watched.errors == []
    context.close()


def test_a_preset_date_format_that_reads_no_row_is_one_warning(live: LiveApp, browser: Browser) -> None:
    """NYC Open Data now exports ISO dates: the preset's US format reads none of them."""
    raw = pd.read_csv(NYC, dtype=str, keep_default_na=False)
    for column in ("Created Date", "Closed Date"):
        parsed = pd.to_datetime(raw[column], format="%m/%d/%Y %I:%M:%S %p", errors="coerce")
        raw[column] = parsed.dt.strftime("%Y-%m-%dT%H:%M:%S.000").fillna("")
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    watched = watch(context.new_page())
    page = watched.page
    login(page, live.url)
    page.goto(f"{live.url}/imports")
    _upload(page, "nyc311-iso.csv", raw.to_csv(index=False).encode(), 41)
    page.click("#imports-preset")
    page.get_by_role("option", name="NYC 311 (NYC Open Data)").click()
    page.keyboard.press("Escape")
    expect(page.locator("#imports-source")).to_have_value("nyc311")
    expect(page.locator("#imports-format")).to_have_value("%m/%d/%Y %I:%M:%S %p")

    page.click("#imports-dry-run")
    expect(page.locator("#imports-count-rows_skipped")).to_have_text("2.000")
    warning = page.locator("#imports-date-warning")
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text("Định dạng ngày «%m/%d/%Y %I:%M:%S %p» không đọc được ngày nào trong cột "
                                    "«Created Date» (vd. «2011-03-01T14:27:57.000»)")
    expect(warning).to_contain_text("Định dạng đọc được các ngày này: ISO8601")
    reasons = page.locator("#imports-summary ul").inner_text()
    assert "date_format_mismatch" in reasons and "date_unparseable" not in reasons
    expect(page.locator("#imports-run")).to_be_disabled()

    page.fill("#imports-format", "ISO8601")  # the suggestion reads every row
    page.click("#imports-dry-run")
    expect(page.locator("#imports-count-rows_kept")).to_have_text("2.000")
    expect(page.locator("#imports-date-warning")).to_have_count(0)
    assert watched.errors == []
    context.close()


def test_another_citys_words_are_mapped_on_the_page(live: LiveApp, browser: Browser) -> None:
    """A real 311 export without a preset: "Closed", English categories and agencies become ours."""
    raw = pd.read_csv(NYC, dtype=str, keep_default_na=False)
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    watched = watch(context.new_page())
    page = watched.page
    login(page, live.url)
    page.goto(f"{live.url}/imports")
    _upload(page, "other-city.csv", NYC.read_bytes(), 41)
    _map_columns(page, {"external_id": "Unique Key", "created_at": "Created Date", "closed_at": "Closed Date",
                        "description": ["Complaint Type", "Descriptor"], "status": "Status",
                        "category": "Complaint Type", "agency": "Agency"})
    page.fill("#imports-format", "%m/%d/%Y %I:%M:%S %p")
    page.fill("#imports-source", "other-city")

    # Every value of the mapped columns is listed, with its rows; nothing is mapped yet.
    statuses = page.locator("#imports-values-status tbody tr")
    expect(statuses).to_have_count(3)
    expect(page.locator("#imports-values-category tbody tr")).to_have_count(raw["Complaint Type"].nunique())
    expect(page.locator("#imports-values-agency tbody tr")).to_have_count(raw["Agency"].nunique())
    expect(statuses.first.locator("td").nth(0)).to_have_text("Closed")
    expect(statuses.first.locator("td").nth(1)).to_have_text("1.956")

    page.click("#imports-dry-run")
    unmapped = page.locator("#imports-unmapped")
    closed = unmapped.locator("tr").filter(has=page.locator("td:text-is('Closed')"))
    expect(closed).to_contain_text("1.956")
    expect(closed).to_contain_text("Dùng trạng thái «Mới tiếp nhận»")
    expect(unmapped.locator("tr").filter(has=page.locator("td:text-is('DOT')"))).to_contain_text(
        "Hệ thống tự điều phối")

    def row_of(field: str, value: str) -> Locator:
        return page.locator(f"#imports-values-{field} tbody tr").filter(
            has=page.locator(f"td:first-child:text-is('{value}')"))

    _choose(page, row_of("status", "Closed").locator("[id*='imports-value']").first, "Đã đóng")
    _choose(page, row_of("status", "Assigned").locator("[id*='imports-value']").first, "Đã chuyển xử lý")
    _choose(page, row_of("category", "Street Condition").locator("[id*='imports-value']").first,
            "Hạ tầng giao thông")
    _choose(page, row_of("agency", "DOT").locator("[id*='imports-value']").first, "Sở Giao thông vận tải")
    expect(page.locator("#imports-run")).to_be_disabled()  # changed since the dry run: check again first
    page.click("#imports-dry-run")
    expect(unmapped.locator("tr").filter(has=page.locator("td:text-is('Pending')"))).to_have_count(1)
    expect(unmapped.locator("td:text-is('Closed')")).to_have_count(0)
    expect(unmapped.locator("td:text-is('DOT')")).to_have_count(0)
    page.click("#imports-run")
    expect(page.locator("#imports-count-imported")).to_have_text("2.000")

    rows = live.scalars(select(Report).where(Report.idempotency_key.like("import:other-city:%")))
    assert len(rows) == 2000
    status = {r.external_id: r.status for r in rows}
    expected = raw.set_index("Unique Key")["Status"].map({"Closed": "closed", "Assigned": "assigned",
                                                          "Pending": "received"})
    assert status == expected.to_dict()
    [roads] = live.scalars(select(Category.id).where(Category.code == "ha-tang-giao-thong"))
    [transport] = live.scalars(select(Agency.id).where(Agency.code == "so-gtvt"))
    by_id = {r.external_id: r for r in rows}
    street = raw.loc[raw["Complaint Type"] == "Street Condition", "Unique Key"]
    dot = raw.loc[raw["Agency"] == "DOT", "Unique Key"]
    assert len(street) and all(by_id[k].category_id == roads for k in street)
    assert len(dot) and all(by_id[k].agency_id == transport for k in dot)
    assert watched.errors == []
    context.close()
