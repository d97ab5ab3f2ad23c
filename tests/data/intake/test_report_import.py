"""CSV/Excel import of reports: the real 311 exports, a hand-broken file, idempotent re-runs, Excel."""

from __future__ import annotations

import io
import json
import random
import re
import unicodedata
from datetime import timedelta
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from sqlalchemy import func, select

from data.cli.import_reports import main
from data.core.errors import InvalidInput
from data.core.runtime import Runtime
from data.core.settings import PROJECT_ROOT
from data.core.sla import to_local
from data.core.tabular import read_table
from data.core.text import fold
from data.geo.geometry import UnitShape, locate
from data.intake.bulk.reports import (
    ColumnMapping,
    ImportContext,
    fold_series,
    import_reports,
    locate_many,
    preset,
    presets,
    source_name,
    validate,
    value_choices,
)
from data.intake.processing import process_pending
from data.models import Agency, Alert, Category, ImportRun, Report, ReportEvent, ReportStatus, utcnow
from data.reports.overdue import flag_overdue
from tests.conftest import SHARED_DATA
from tests.factories import report, world

REPORTS = SHARED_DATA / "reports"
NYC = REPORTS / "nyc311_2011_2000rows.csv"
BOSTON = REPORTS / "boston311_open_2025.csv"
UXO = REPORTS / "quangtri_uxo_reports_2015_ushahidi.geojson"
HUE_BOX = (107.0, 16.0, 108.0, 17.0)
CODE = re.compile(r"^HUE-\d{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{7}$")


def _seed_catalogue(runtime: Runtime) -> None:
    """The category and agency codes the presets map onto (the demo catalogue's)."""
    codes = {code for name in presets() for code in preset(name).category_map.values()} | {"khac", "an-ninh-trat-tu"}
    agencies = {code for name in presets() for code in preset(name).agency_map.values()}
    with runtime.session() as session:
        session.add_all(Category(code=c, name=c, name_en=c) for c in sorted(codes))
        session.add_all(Agency(code=a, name=a) for a in sorted(agencies))


def _rows(problems: pd.DataFrame, reason: str) -> list[int]:
    return sorted(problems.loc[problems["reason"] == reason, "row"].tolist())


# ---------------------------------------------------------------------------------------------
# The real exports, checked against the file read independently
# ---------------------------------------------------------------------------------------------


def test_nyc_export_report_names_every_row_without_a_place() -> None:
    raw = pd.read_csv(NYC, dtype=str, keep_default_na=False)
    result = validate(read_table(NYC), preset("nyc311"), ImportContext(bbox=HUE_BOX))

    no_place = raw.index[(raw["Latitude"].str.strip().isin(["", "0"]))
                         | (raw["Longitude"].str.strip().isin(["", "0"]))] + 2
    assert result.rows_total == 2000 and result.rows_kept == 2000 and result.rows_skipped == 0
    assert _rows(result.problems, "coords_missing") == sorted(no_place.tolist())
    assert len(no_place) == 598  # MANIFEST: 1,402 of 2,000 have coordinates
    # New York is outside Huế: every located row keeps its report but loses its point.
    assert len(_rows(result.problems, "coords_outside")) == 1402
    assert result.rows["lat"].isna().all()
    # Hand-checked: one request was closed before it was created.
    created = pd.to_datetime(raw["Created Date"], format="%m/%d/%Y %I:%M:%S %p")
    closed = pd.to_datetime(raw["Closed Date"], format="%m/%d/%Y %I:%M:%S %p", errors="coerce")
    assert _rows(result.problems, "closed_before_created") == (raw.index[closed < created] + 2).tolist()
    statuses = dict(zip(raw["Status"], result.rows["status"], strict=True))
    assert statuses == {"Closed": "closed", "Pending": "received", "Assigned": "assigned"}
    first = result.rows.iloc[0]
    assert first["description"] == "DOF Property - Payment Issue – Misapplied Payment"
    assert str(first["created_at"]) == "2011-03-01 19:27:57"  # 02:27:57 PM in New York, as UTC
    assert first["channel"] == "hotline" and first["category_code"] == "thu-tuc-hanh-chinh"


def test_boston_export_report_names_its_two_rows_without_coordinates() -> None:
    raw = pd.read_csv(BOSTON, dtype=str, keep_default_na=False)
    result = validate(read_table(BOSTON), preset("boston311"), ImportContext(bbox=HUE_BOX))
    blank = (raw.index[raw["latitude"] == ""] + 2).tolist()
    assert blank == [119, 573]
    assert _rows(result.problems, "coords_missing") == blank
    assert result.rows_kept == 2424 and set(result.rows["status"]) == {"received"}
    assert result.counts() == {"warning:coords_outside": 2422, "warning:coords_missing": 2}


def test_geojson_points_import_through_the_same_mapping() -> None:
    result = validate(read_table(UXO), preset("ushahidi_uxo"), ImportContext(bbox=HUE_BOX))
    assert result.rows_kept == 75
    # Seven points lie outside the box (one in Switzerland, [6.05, 46.23]).
    collection = json.loads(UXO.read_text())
    outside = [i + 2 for i, f in enumerate(collection["features"])
               if not (HUE_BOX[0] <= f["geometry"]["coordinates"][0] <= HUE_BOX[2]
                       and HUE_BOX[1] <= f["geometry"]["coordinates"][1] <= HUE_BOX[3])]
    assert _rows(result.problems, "coords_outside") == outside


# ---------------------------------------------------------------------------------------------
# A hand-broken file
# ---------------------------------------------------------------------------------------------

BROKEN_MAPPING = ColumnMapping(
    source="tinh-test", external_id="Mã", created_at="Ngày", datetime_format="%d/%m/%Y %H:%M",
    description=["Nội dung"], status="Trạng thái", status_map={"Mới": "received", "Đã xử lý": "closed"},
    lat="Vĩ độ", lon="Kinh độ", address=["Địa chỉ"], category="Lĩnh vực",
    category_map={"Rác": "ve-sinh-moi-truong"},
)


def _broken_csv() -> bytes:
    long_text = "x" * 4001
    lines = [
        "Mã;Ngày;Nội dung;Trạng thái;Vĩ độ;Kinh độ;Lĩnh vực",          # no "Địa chỉ" column
        "A1;01/03/2025 08:00;Rác thải tồn đọng đường Lê Lợi;Mới;16.46;107.59;Rác",
        "A2;hôm qua;Đèn đường hỏng;Mới;16.46;107.59;Rác",              # text in the date column
        f"A3;01/03/2025 09:00;{long_text};Mới;16.46;107.59;Rác",       # 4,001 characters
        "A1;02/03/2025 10:00;Rác lại tồn đọng;Mới;16.47;107.58;Rác",   # the id of row 2 again
        "A4;02/03/2025 11:00;Cây đổ chắn ngang đường;Chờ duyệt;0;0;Cây xanh",  # foreign word, zero point
        "A5;02/03/2025 12:00;   ;Mới;16.46;107.59;Rác",                # blank description
    ]
    return _cp1258("\r\n".join(lines) + "\r\n")


def _cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: base letters (â, ơ, ư...) plus combining tone marks."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", char)
        for mark in list(marks):  # fold the letter's own mark (circumflex, breve, horn) back in
            composed = unicodedata.normalize("NFC", base + mark)
            if len(composed) == 1 and composed.encode("cp1258", errors="ignore"):
                base = composed
                marks.remove(mark)
                break
        out += (base + "".join(marks)).encode("cp1258")
    return bytes(out)


def test_broken_csv_gets_one_problem_per_row_and_column() -> None:
    frame = read_table(_broken_csv(), "phan-anh.csv")
    assert frame.loc[0, "Nội dung"] == "Rác thải tồn đọng đường Lê Lợi"  # Windows-1258, precomposed
    result = validate(frame, BROKEN_MAPPING, ImportContext(bbox=HUE_BOX))
    found = {(p.row, p.column, p.severity, p.reason) for p in result.problems.itertuples()}
    assert found == {
        (1, "Địa chỉ", "warning", "column_missing"),
        (3, "Ngày", "error", "date_unparseable"),
        (4, "Nội dung", "error", "description_too_long"),
        (5, "Mã", "error", "id_duplicate"),
        (6, "Trạng thái", "warning", "status_unknown"),
        (6, "Vĩ độ", "warning", "coords_missing"),
        (6, "Lĩnh vực", "warning", "category_unmapped"),
        (7, "Nội dung", "error", "description_empty"),
    }
    assert result.rows["row"].tolist() == [2, 6] and result.rows_skipped == 4
    assert result.problems.loc[result.problems["row"] == 3, "value"].item() == "hôm qua"
    report = pd.read_csv(io.BytesIO(result.problems_csv()), encoding="utf-8-sig")
    assert len(report) == 8 and "Không đọc được ngày giờ." in set(report["message"])


def test_required_coordinates_and_outside_points_can_skip_rows() -> None:
    strict = BROKEN_MAPPING.model_copy(update={"require_coordinates": True, "outside_city": "skip"})
    frame = read_table(_broken_csv(), "phan-anh.csv")
    result = validate(frame, strict, ImportContext(bbox=(107.585, 16.0, 108.0, 16.465)))
    assert _rows(result.problems[result.problems["severity"] == "error"], "coords_missing") == [6]
    assert _rows(result.problems, "coords_outside") == [5]  # 16.47 is north of this box
    assert result.rows["row"].tolist() == [2]


def test_fold_series_matches_fold() -> None:
    texts = pd.Series(["Đường Lê Lợi  ngập", "CỐNG thoát nước", "", "Phở bò – ĐỒNG  Khánh", "naïve café"])
    assert fold_series(texts).tolist() == [fold(t) for t in texts]


def test_locate_many_matches_locate() -> None:
    collection = json.loads((PROJECT_ROOT / "data" / "demo_data" / "hue_districts_dvhcvn.geojson").read_text())
    shapes = tuple(UnitShape.of(i, f["geometry"]) for i, f in enumerate(collection["features"], start=1))
    rng = random.Random(7)
    lat = np.array([rng.uniform(16.0, 16.8) for _ in range(3000)])
    lon = np.array([rng.uniform(107.0, 108.0) for _ in range(3000)])
    found = locate_many(lat, lon, np.ones(3000, dtype=bool), (shapes,))
    expected = [locate(a, o, shapes) for a, o in zip(lat, lon, strict=True)]
    assert [None if np.isnan(f) else int(f) for f in found] == expected
    assert sum(e is not None for e in expected) > 1000


# ---------------------------------------------------------------------------------------------
# Into the database: SQLite and PostgreSQL
# ---------------------------------------------------------------------------------------------


def _count(runtime: Runtime, model: type, *where: object) -> int:
    with runtime.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_real_exports_import_once_and_reimport_nothing(runtime: Runtime) -> None:
    _seed_catalogue(runtime)
    nyc = import_reports(runtime, NYC, preset("nyc311"), dry_run=False, chunk_rows=700)
    boston = import_reports(runtime, BOSTON, preset("boston311"), dry_run=False)
    assert (nyc.imported, nyc.skipped, boston.imported) == (2000, 0, 2424)
    assert _count(runtime, Report) == 4424
    assert _count(runtime, ReportEvent, ReportEvent.action == "created") == 4424
    # No city boundaries loaded: points are kept, and the 600 NYC/Boston rows without one have none.
    assert _count(runtime, Report, Report.lat.is_(None)) == 598 + 2
    with runtime.session() as session:
        sample = session.scalars(select(Report).where(Report.external_id == "19937901")).one()
        sample_code = sample.tracking_code
        assert CODE.match(sample.tracking_code) and sample.tracking_code.startswith("HUE-2011-")
        assert sample.idempotency_key == "import:nyc311:19937901"
        assert sample.search_text == fold(f"{sample.title} {sample.description}")
        assert sample.status == "closed" and sample.processed_at is not None and sample.closed_at is not None
        assert sample.category_id is not None and sample.agency_id is not None
        assert sample.attributes == {"import_source": "nyc311", "import_run": nyc.run_id, "import_row": 3,
                                     "Borough": "BROOKLYN", "Incident Zip": "11232"}
        codes = session.scalars(select(Report.tracking_code)).all()
        assert len(set(codes)) == 4424
    # Open reports wait for the processing sweep; closed ones are history.
    assert _count(runtime, Report, Report.processed_at.is_(None)) == 24 + 20 + 2424

    # A dry run of the same file says, row by row, what the import would skip; the import then skips it.
    checked = import_reports(runtime, NYC, preset("nyc311"), dry_run=True)
    assert (checked.already_imported, checked.to_import) == (2000, 0)
    again = import_reports(runtime, NYC, preset("nyc311"), dry_run=False)
    assert (again.imported, again.already_imported) == (0, 2000)
    assert _count(runtime, Report) == 4424
    with runtime.session() as session:
        run = session.get(ImportRun, again.run_id)
        assert run is not None and run.rows_imported == 0 and run.rows_skipped == 2000
        assert run.problems is not None
        assert sum(p["reason"] == "already_imported" for p in run.problems) == 2000
        first = session.get_one(ImportRun, nyc.run_id)
        when = to_local(first.started_at, runtime.settings.tz)
    for summary in (checked, again):
        already = summary.validation.problems.query("reason == 'already_imported'")
        assert sorted(already["row"]) == list(range(2, 2002)) and set(already["severity"]) == {"error"}
        assert already.loc[already["value"] == "19937901", "message"].item() == (
            f"Đã nhập từ nguồn «nyc311» lúc {when:%d/%m/%Y %H:%M} (lần nhập #{nyc.run_id}), "
            f"thành phản ánh {sample_code}; bỏ qua.")


def test_dry_run_writes_only_the_import_run(runtime: Runtime) -> None:
    summary = import_reports(runtime, None, BROKEN_MAPPING, dry_run=True, content=_broken_csv(),
                             filename="phan-anh.csv")
    assert (summary.validation.rows_kept, summary.validation.rows_skipped) == (2, 4)
    assert _count(runtime, Report) == 0 and _count(runtime, ReportEvent) == 0
    with runtime.session() as session:
        run = session.get(ImportRun, summary.run_id)
        assert run is not None and run.dry_run and run.finished_at is not None
        assert (run.rows_total, run.rows_imported, run.rows_skipped) == (6, 0, 4)
        assert {p["reason"] for p in run.problems or []} >= {"date_unparseable", "id_duplicate"}


def test_xlsx_imports(runtime: Runtime, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Mã", "Ngày", "Nội dung", "Trạng thái", "Vĩ độ", "Kinh độ", "Lĩnh vực"])
    sheet.append(["X1", "05/03/2025 08:30", "Ngập nước đường Hùng Vương", "Mới", 16.46, 107.59, "Rác"])
    sheet.append(["X2", "05/03/2025 09:30", "Rác ven sông Hương", "Đã xử lý", None, None, "Rác"])
    path = tmp_path / "phan-anh.xlsx"
    book.save(path)
    summary = import_reports(runtime, path, BROKEN_MAPPING, dry_run=False)
    assert summary.imported == 2
    with runtime.session() as session:
        rows = session.scalars(select(Report).order_by(Report.external_id)).all()
        assert [(r.external_id, r.status, r.lat) for r in rows] == [("X1", "received", 16.46), ("X2", "closed", None)]
        assert rows[0].created_at.isoformat() == "2025-03-05T01:30:00"  # 08:30 in Huế


def test_cli_dry_run_prints_summary_and_writes_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("IOC_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("IOC_DEMO", "false")
    monkeypatch.delenv("IOC_REDIS_URL", raising=False)
    report = tmp_path / "problems.csv"
    assert main([str(BOSTON), "--preset", "boston311", "--dry-run", "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert "dòng đọc được: 2424" in out and "coords_missing: 2" in out
    assert len(pd.read_csv(report, encoding="utf-8-sig")) > 0


# ---------------------------------------------------------------------------------------------
# The duplicate check's scope is a source the user names (issue 14, item 3)
# ---------------------------------------------------------------------------------------------

PLAIN_MAPPING = """source = "tinh"
external_id = "Mã"
created_at = "Ngày"
datetime_format = "%d/%m/%Y %H:%M"
description = ["Nội dung"]
"""


def test_source_names_become_duplicate_key_scopes() -> None:
    assert source_name("Hệ thống 1022 Huế") == "he-thong-1022-hue"
    # The import's own keys in a report's attributes tie it to its import: a kept column may not take one.
    with pytest.raises(ValueError, match="import_run là khoá dành riêng"):
        ColumnMapping(source="tinh", keep_columns=["Phường", "import_run"])
    # Nor sender_id: it marks a chat reporter, whose notices would go to a chat they never wrote from.
    with pytest.raises(ValueError, match="sender_id là khoá dành riêng"):
        ColumnMapping(source="tinh", keep_columns=["sender_id"])
    assert source_name(" nyc311 ") == "nyc311"
    for blank in ("", "   ", "—", None):
        with pytest.raises(InvalidInput, match="Cần đặt tên nguồn"):
            source_name(blank)


def test_cli_scopes_the_duplicate_check_to_the_named_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Two unrelated systems both number their reports 1, 2, ...: the second file's rows are not lost."""
    monkeypatch.setenv("IOC_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("IOC_DEMO", "false")
    monkeypatch.delenv("IOC_REDIS_URL", raising=False)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(PLAIN_MAPPING, encoding="utf-8")
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("Mã,Ngày,Nội dung\n1,01/03/2025 08:00,Ổ gà đường Lê Lợi\n2,01/03/2025 09:00,Đèn hỏng\n", "utf-8")
    second.write_text("Mã,Ngày,Nội dung\n1,05/04/2025 08:00,Rác ven sông\n2,05/04/2025 09:00,Cây đổ\n"
                      "3,05/04/2025 10:00,Ngập nước\n", "utf-8")

    def run(path: Path, source: str, *more: str) -> str:
        assert main([str(path), "--mapping", str(mapping), "--source", source, *more]) == 0
        return capsys.readouterr().out

    assert "đã nhập mới: 2" in run(first, "Hệ thống A")
    out = run(second, "Hệ thống B")
    assert "từ nguồn «he-thong-b»" in out and "đã nhập mới: 3" in out
    # The same file again: nothing twice, and every skipped row says when and as which report.
    report_csv = tmp_path / "problems.csv"
    out = run(second, "Hệ thống B", "--report", str(report_csv))
    assert "đã nhập mới: 0" in out and "dòng đã nhập từ trước (bỏ qua): 3" in out
    problems = pd.read_csv(report_csv, encoding="utf-8-sig", dtype=str)
    skipped = problems[problems["reason"] == "already_imported"]
    assert skipped["row"].tolist() == ["2", "3", "4"] and skipped["value"].tolist() == ["1", "2", "3"]
    assert all(re.fullmatch(r"Đã nhập từ nguồn «he-thong-b» lúc \d\d/\d\d/\d{4} \d\d:\d\d \(lần nhập #2\), "
                            r"thành phản ánh HUE-2025-\w{7}; bỏ qua\.", m) for m in skipped["message"])
    # A source that names nothing is refused, in a sentence.
    assert main([str(second), "--mapping", str(mapping), "--source", "  "]) == 1
    assert "Cần đặt tên nguồn" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# Value maps and a date format that reads nothing (issue 14, item 4)
# ---------------------------------------------------------------------------------------------

# A city without a preset maps the NYC export's columns, but not yet its words.
BARE_NYC = ColumnMapping(source="other-city", external_id="Unique Key", created_at="Created Date",
                         closed_at="Closed Date", datetime_format="%m/%d/%Y %I:%M:%S %p",
                         description=["Complaint Type", "Descriptor"], status="Status", category="Complaint Type",
                         agency="Agency")


def test_unmapped_values_are_listed_with_their_rows_and_fallback() -> None:
    raw = pd.read_csv(NYC, dtype=str, keep_default_na=False)
    result = validate(read_table(NYC), BARE_NYC, ImportContext(bbox=HUE_BOX, category_ids={}, agency_ids={}))
    assert set(result.rows["status"]) == {"received"}  # "Closed" unknown: every report would be open
    unmapped = result.unmapped
    status = unmapped[unmapped["field"] == "status"]
    assert dict(zip(status["value"], status["rows"], strict=True)) == raw["Status"].value_counts().to_dict()
    assert set(status["used"]) == {"received"} and set(status["column"]) == {"Status"}
    agencies = unmapped[unmapped["field"] == "agency"]
    assert dict(zip(agencies["value"], agencies["rows"], strict=True)) == raw["Agency"].value_counts().to_dict()
    categories = unmapped[unmapped["field"] == "category"]
    assert len(categories) == raw["Complaint Type"].nunique() and categories["rows"].sum() == 2000
    assert unmapped["rows"].tolist() == sorted(unmapped["rows"], reverse=True)

    # The choices a page makes: "Closed" is closed now; "Pending" is left unmapped (and still listed).
    choices, complete = value_choices(read_table(NYC), BARE_NYC, "status")
    assert complete and choices["value"].tolist() == ["Closed", "Pending", "Assigned"]
    assert choices["ours"].tolist() == [None, None, None]
    mapped = BARE_NYC.with_values("status", {"Closed": "closed", "Pending": None, "Assigned": "assigned"}, True)
    again = validate(read_table(NYC), mapped, ImportContext(bbox=HUE_BOX))
    assert again.rows["status"].value_counts().to_dict() == {"closed": 1956, "received": 24, "assigned": 20}
    status = again.unmapped[again.unmapped["field"] == "status"]
    assert status[["value", "rows"]].values.tolist() == [["Pending", 24]]


def test_value_choices_over_a_preset() -> None:
    frame = read_table(NYC)
    choices, complete = value_choices(frame, preset("nyc311"), "category")
    assert complete and len(choices) == 90
    ours = dict(zip(choices["value"], choices["ours"], strict=True))
    assert ours["Noise - Residential"] == "an-ninh-trat-tu"  # the preset's prefix key "Noise*"
    # Every value listed: the page's choices are the whole map, so clearing one leaves it unmapped...
    cleared = preset("nyc311").with_values("category", ours | {"Noise - Residential": None}, complete=True)
    rows = validate(frame, cleared).rows
    assert rows.loc[rows["description"].str.startswith("Noise - Residential"), "category_code"].isna().all()
    # ... while a partial list is laid over the preset's map, whose keys still apply.
    partial = preset("nyc311").with_values("category", {"Street Condition": "ha-tang-do-thi"}, complete=False)
    assert partial.category_map["Noise*"] == "an-ninh-trat-tu"
    assert partial.category_map["Street Condition"] == "ha-tang-do-thi"
    assert (value_choices(frame, preset("nyc311"), "category", limit=10)[1]) is False


def test_a_date_format_that_reads_no_row_is_one_problem_with_a_suggestion() -> None:
    wrong = preset("nyc311").model_copy(update={"datetime_format": preset("boston311").datetime_format})
    result = validate(read_table(NYC), wrong, ImportContext(bbox=HUE_BOX))
    assert (result.rows_kept, result.rows_skipped) == (0, 2000)
    errors = result.problems[result.problems["severity"] == "error"]
    assert errors[["row", "column", "reason"]].values.tolist() == [
        [1, "Created Date", "date_format_mismatch"], [1, "Closed Date", "date_format_mismatch"]]
    assert [(m.column, m.example, m.suggestion) for m in result.format_mismatches] == [
        ("Created Date", "03/01/2011 02:27:57 PM", "%m/%d/%Y %I:%M:%S %p"),
        ("Closed Date", "03/14/2011 03:59:20 PM", "%m/%d/%Y %I:%M:%S %p")]
    assert "«%Y-%m-%d %H:%M:%S» không đọc được ngày nào" in errors["message"].iloc[0]
    # The suggestion reads the whole file.
    fixed = wrong.model_copy(update={"datetime_format": result.format_mismatches[0].suggestion})
    assert validate(read_table(NYC), fixed, ImportContext(bbox=HUE_BOX)).rows_kept == 2000


# ---------------------------------------------------------------------------------------------
# An import of history does not flood the operators (issue 14, item 5)
# ---------------------------------------------------------------------------------------------


def test_an_import_of_overdue_history_raises_one_alert_not_one_per_row(runtime: Runtime) -> None:
    _seed_catalogue(runtime)
    # 600 real open Boston requests of 2025, more than one pass of the overdue job (500).
    lines = BOSTON.read_bytes().splitlines(keepends=True)
    content = b"".join(lines[:601])
    summary = import_reports(runtime, None, preset("boston311"), dry_run=False, content=content,
                             filename="boston-600.csv")
    assert summary.imported == 600
    with runtime.session() as s:  # and one report of our own, overdue too: it keeps its own alert
        w = world(s)
        late = report(s, w, status=ReportStatus.ASSIGNED, agency_id=w.agency_a,
                      created_at=utcnow() - timedelta(days=30), expected_at=utcnow() - timedelta(days=20),
                      processed_at=utcnow())
        late_code = late.tracking_code
    while process_pending(runtime):
        pass
    passes = 0
    while flag_overdue(runtime):
        passes += 1
        assert passes < 10, "the overdue job never settles"
    with runtime.session() as s:
        overdue = s.scalar(select(func.count()).select_from(Report).where(
            Report.escalated_at.is_not(None), Report.tracking_code != late_code))
        alerts = s.execute(select(Alert.kind, Alert.source_ref, Alert.title).order_by(Alert.id)).all()
    assert passes >= 2 and overdue > 500  # the import's reports went overdue over several passes
    assert sorted((kind, ref) for kind, ref, _ in alerts) == [("overdue_import", f"import:{summary.run_id}"),
                                                              ("overdue_report", late_code)]
    title = next(t for kind, _, t in alerts if kind == "overdue_import")
    assert title == f"{overdue} phản ánh nhập từ tệp «boston-600.csv» (lần nhập #{summary.run_id}) quá hạn xử lý"
