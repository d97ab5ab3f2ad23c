"""CSV/Excel import of reports: the real 311 exports, a hand-broken file, idempotent re-runs, Excel."""

from __future__ import annotations

import io
import json
import random
import re
import unicodedata
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from sqlalchemy import func, select

from data.geo import UnitShape, locate
from data.models import Agency, Category, ImportRun, Report, ReportEvent
from data.report_import import (
    ColumnMapping,
    ImportContext,
    fold_series,
    import_reports,
    locate_many,
    main,
    preset,
    presets,
    read_table,
    validate,
)
from data.runtime import Runtime
from data.settings import PROJECT_ROOT
from data.text import fold
from tests.conftest import SHARED_DATA

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

    again = import_reports(runtime, NYC, preset("nyc311"), dry_run=False)
    assert (again.imported, again.already_imported) == (0, 2000)
    assert _count(runtime, Report) == 4424
    with runtime.session() as session:
        run = session.get(ImportRun, again.run_id)
        assert run is not None and run.rows_imported == 0 and run.rows_skipped == 2000
        assert run.problems is not None and run.problems[-1]["reason"] == "already_imported"


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
