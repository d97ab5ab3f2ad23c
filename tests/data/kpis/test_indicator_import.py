"""KPI value import (data/kpis/imports/template/): the template, the row checks, revisions, and the real
national statistics of ../shared/data/stats imported through the adapters (read by path, never copied),
on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from data.core.runtime import Runtime
from data.core.tabular import read_table
from data.geo import boundaries
from data.kpis.imports.files import import_file
from data.kpis.imports.template import (
    CITY,
    IndicatorContext,
    IndicatorSpec,
    Where,
    example_period,
    indicator_specs,
    parse_period,
    places_index,
    plan_changes,
    template_csv,
    template_xlsx,
    validate,
)
from data.models import AdminUnit, Agency, Alert, ImportRun, Indicator, IndicatorValue
from tests.dbfixtures import open_runtime

ROOT = Path(__file__).resolve().parents[3]
STATS = ROOT.parent / "shared" / "data" / "stats"
HUE_WARDS = ROOT.parent / "shared" / "data" / "geo" / "hue_wards_2019_TEST_ONLY.geojson"
ONE_STOP_SHOP = ROOT / "data" / "demo_data" / "one_stop_shop_DEMO.csv"
TODAY = date(2026, 12, 5)

SPECS = {
    "grdp_per_capita": IndicatorSpec("grdp_per_capita", "GRDP bình quân đầu người", "GRDP per capita", "triệu đồng",
                                     "year", id=1),
    "dossiers_received": IndicatorSpec("dossiers_received", "Hồ sơ tiếp nhận", "Dossiers received", "hồ sơ", "month",
                                       "agency", id=2),
    "population_census": IndicatorSpec("population_census", "Dân số", "Population", "người", "year", "ward"),
}
# (id, code, name) of two wards and an agency, as the database would give them.
UNITS = [(10, "VNM.60.1.1_1", "AnCựu"), (11, "VNM.60.1.2_1", "Phường Vĩnh Ninh")]
AGENCIES = [(5, "so-xd", "Sở Xây dựng")]
CONTEXT = IndicatorContext(SPECS, places_index(UNITS, AGENCIES, ["Thừa Thiên Huế", "Huế"]), TODAY)


def _template(rows: list[str]) -> pd.DataFrame:
    body = "indicator_code,period,geography,value,unit,source,note\n" + "\n".join(rows) + "\n"
    return read_table(body.encode(), "chi-so.csv")


# --- pure: periods, places, checks, revisions -----------------------------------------------------


def test_periods_are_read_in_every_form_the_template_allows() -> None:
    assert parse_period("2024") == ("year", "2024", date(2024, 1, 1))
    assert parse_period("2024-q3") == ("quarter", "2024-Q3", date(2024, 7, 1))
    assert parse_period("2024-10") == ("month", "2024-10", date(2024, 10, 1))
    assert parse_period("2024-10-31") == ("day", "2024-10-31", date(2024, 10, 31))
    assert parse_period("2024-10-31 00:00:00") == ("day", "2024-10-31", date(2024, 10, 31))  # an Excel date cell
    assert [parse_period(p) for p in ("2024-13", "2024-02-30", "Q3/2024", "năm 2024", "")] == [None] * 5


def test_places_are_found_by_code_or_name_with_or_without_accents() -> None:
    places = CONTEXT.places
    assert places["name:ancuu"] == Where(admin_unit_id=10)
    assert places["name:vinhninh"] == Where(admin_unit_id=11)  # "Phường" says the level, not the ward
    assert places["code:vnm.60.1.1_1"] == Where(admin_unit_id=10)
    assert places["code:so-xd"] == Where(agency_id=5)
    assert places["name:danang"] == Where(place="Đà Nẵng")
    assert places["name:hochiminh"] == places["name:hcm"] == Where(place="Hồ Chí Minh")
    assert places["name:thuathienhue"] == CITY  # the city's own province is the city, not a comparison


def test_validate_reports_each_bad_row_in_vietnamese_and_keeps_the_good_ones() -> None:
    frame = _template([
        "grdp_per_capita,2025,,84.1,triệu đồng,Cục Thống kê,",          # 2: city-wide
        "grdp_per_capita,2025,Đà Nẵng,120.5,,,",                         # 3: another province
        "dossiers_received,2025-10,so-xd,1250,hồ sơ,,",                  # 4: an agency
        "population_census,2019,Phuong An Cuu,23776,người,,",            # 5: a ward, no accents
        "grdp_per_capita,2025,Da Nang,121,,,",                           # 6: same as row 3
        "retail_sales,2025-10,,5000,tỷ đồng,,",                          # 7: not in the catalogue
        "grdp_per_capita,2024,,84100,nghìn đồng,,",                      # 8: wrong unit
        "grdp_per_capita,2024,Hà Nội,một trăm,,,",                       # 9: text for a number
        "grdp_per_capita,2027,,90,,,",                                   # 10: in the future
        "grdp_per_capita,2024-10,,84,,,",                                # 11: monthly period, yearly KPI
        "dossiers_received,2025-10,Phường Không Có,10,,,",               # 12: unknown place
        "population_census,2019,Vĩnh Ninh,\"13 456,5\",,,",             # 13: comma decimal, spaces
        "grdp_per_capita,,,84,,,",                                       # 14: no period
        "grdp_per_capita,2023,,,,,",                                     # 15: no value
    ])
    result = validate(frame, CONTEXT, default_source="chi-so.csv")

    reasons = {(r.row, r.reason) for r in result.problems.itertuples()}
    assert reasons == {(6, "duplicate"), (7, "indicator_unknown"), (8, "unit_mismatch"), (9, "value_not_number"),
                       (10, "period_future"), (11, "period_frequency"), (12, "place_unknown"), (14, "period_missing"),
                       (15, "value_missing")}
    assert set(result.problems["severity"]) == {"error"} and result.rows_skipped == 9
    message = result.problems.set_index("reason").loc["unit_mismatch"]
    assert message["message"] == "Đơn vị khác đơn vị của chỉ số trong danh mục."
    assert message["value"] == "nghìn đồng (danh mục: triệu đồng)"
    kept = result.rows.set_index("row")
    assert list(kept.index) == [2, 3, 4, 5, 13]
    assert pd.isna(kept.loc[2, "place"]) and pd.isna(kept.loc[2, "admin_unit_id"])
    assert kept.loc[3, "place"] == "Đà Nẵng" and kept.loc[4, "agency_id"] == 5
    assert kept.loc[5, "admin_unit_id"] == 10 and kept.loc[13, "value"] == 13456.5
    assert kept.loc[2, "source"] == "Cục Thống kê" and kept.loc[3, "source"] == "chi-so.csv"
    assert kept.loc[4, "period_start"] == date(2025, 10, 1)


def test_a_file_without_a_required_column_keeps_no_row() -> None:
    frame = read_table(b"indicator_code,period,geography\ngrdp_per_capita,2025,\n", "x.csv")
    result = validate(frame, CONTEXT)
    assert result.rows_kept == 0 and result.columns_missing == ["value"]
    assert result.problems.iloc[0][["row", "column", "reason"]].tolist() == [1, "value", "column_missing"]


def test_an_equal_value_changes_nothing_and_a_different_one_supersedes() -> None:
    incoming = pd.DataFrame({"indicator_id": [1, 1, 1], "period": ["2024", "2025", "2025"],
                             "admin_unit_id": [None, None, 10], "agency_id": [None, None, None],
                             "place": [None, None, None], "value": [84.1, 90.0, 5.0]})
    current = pd.DataFrame({"id": [7, 8], "indicator_id": [1, 1], "period": ["2024", "2025"],
                            "admin_unit_id": [None, None], "agency_id": [None, None], "place": [None, None],
                            "value": [84.1 + 1e-12, 88.0]})
    plan = plan_changes(incoming, current)
    assert (plan.unchanged, plan.revised, plan.new) == (1, 1, 1)
    assert plan.supersede == [8] and plan.insert["value"].tolist() == [90.0, 5.0]


def test_the_template_lists_the_catalogue_and_reads_back() -> None:
    specs = list(SPECS.values())
    csv_frame = read_table(template_csv(specs, TODAY), "mau.csv")
    assert list(csv_frame.columns) == ["indicator_code", "period", "geography", "value", "unit", "source", "note"]
    assert csv_frame.set_index("indicator_code")[["period", "unit"]].to_dict("index") == {
        "dossiers_received": {"period": "2026-11", "unit": "hồ sơ"},  # the last complete month
        "grdp_per_capita": {"period": "2025", "unit": "triệu đồng"},
        "population_census": {"period": "2025", "unit": "người"},
    }
    xlsx = template_xlsx(specs, TODAY)
    assert read_table(xlsx, "mau.xlsx").equals(csv_frame)
    catalogue = pd.read_excel(io.BytesIO(xlsx), sheet_name="danh_muc", dtype=str)
    assert catalogue.set_index("indicator_code").loc["grdp_per_capita", "unit"] == "triệu đồng"
    # Filled in, the template passes the checks.
    filled = csv_frame.assign(value="1", geography=["so-xd", "", "AnCựu"])
    assert validate(filled, CONTEXT).rows_kept == 3



def test_the_excel_template_drops_characters_excel_cannot_hold() -> None:
    pasted = IndicatorSpec("tree_count", "Số cây\x01 xanh", "Trees\x1f", "cây", "year")  # an admin's paste
    catalogue = pd.read_excel(io.BytesIO(template_xlsx([pasted], TODAY)), sheet_name="danh_muc", dtype=str)
    assert catalogue.loc[0, ["tên", "name"]].tolist() == ["Số cây xanh", "Trees"]

# --- the database: revisions, re-imports, dry runs ------------------------------------------------


def _values(runtime: Runtime) -> list[tuple[str, str, int | None, int | None, str | None, float, bool]]:
    with runtime.session() as session:
        rows = session.execute(
            select(Indicator.code, IndicatorValue.period, IndicatorValue.admin_unit_id, IndicatorValue.agency_id,
                   IndicatorValue.place, IndicatorValue.value, IndicatorValue.superseded)
            .join(Indicator, Indicator.id == IndicatorValue.indicator_id).order_by(IndicatorValue.id))
        return [tuple(r) for r in rows]


def _add_agencies(runtime: Runtime, *codes: str) -> None:
    with runtime.session() as session:
        session.add_all(Agency(code=code, name=f"Đơn vị {code}") for code in codes)


def test_the_one_stop_shop_sample_imports_once_and_revisions_keep_history(db_url: str) -> None:
    with open_runtime(db_url) as runtime:
        _add_agencies(runtime, "so-xd", "so-tnmt", "so-gtvt", "so-dl")
        content = ONE_STOP_SHOP.read_bytes()
        dry = import_file(runtime, content, ONE_STOP_SHOP.name, dry_run=True)
        assert (dry.validation.rows_total, dry.validation.rows_kept, dry.new) == (48, 48, 48)
        assert _values(runtime) == []  # a dry run writes only its ImportRun

        first = import_file(runtime, content, ONE_STOP_SHOP.name, dry_run=False)
        assert (first.new, first.revised, first.unchanged) == (48, 0, 0)
        before = _values(runtime)
        with runtime.session() as session:  # the definitions came from the catalogue with the file
            assert session.scalar(select(Indicator.unit).where(Indicator.code == "dossiers_online_pct")) == "%"
            so_xd = session.scalar(select(Agency.id).where(Agency.code == "so-xd"))
        assert ("dossiers_received", "2025-07", None, so_xd, None, 405.0, False) in before

        again = import_file(runtime, content, ONE_STOP_SHOP.name, dry_run=False)
        assert (again.new, again.revised, again.unchanged) == (0, 0, 48)
        assert _values(runtime) == before  # re-uploading the same file changes nothing

        revised = content.replace(b"dossiers_received,2025-07,so-xd,405", b"dossiers_received,2025-07,so-xd,410")
        third = import_file(runtime, revised, "sua.csv", dry_run=False)
        assert (third.new, third.revised, third.unchanged) == (0, 1, 47)
        history = [v for v in _values(runtime) if v[:4] == ("dossiers_received", "2025-07", None, so_xd)]
        assert history == [("dossiers_received", "2025-07", None, so_xd, None, 405.0, True),
                           ("dossiers_received", "2025-07", None, so_xd, None, 410.0, False)]
        with runtime.session() as session:
            runs = session.execute(select(ImportRun.kind, ImportRun.dry_run, ImportRun.rows_imported)
                                   .order_by(ImportRun.id)).all()
        assert [tuple(r) for r in runs] == [("indicators", True, 0), ("indicators", False, 48),
                                            ("indicators", False, 0), ("indicators", False, 1)]


def test_an_imported_value_past_its_red_threshold_raises_one_kpi_alert(db_url: str) -> None:
    with open_runtime(db_url) as runtime:
        month = example_period("month", datetime.now(runtime.settings.tz).date())  # the newest complete month
        body = f"indicator_code,period,value\ndossiers_online_pct,{month},40\n".encode()  # red below 50 %
        import_file(runtime, body, "mot-cua.csv", dry_run=False)
        import_file(runtime, body, "mot-cua.csv", dry_run=False)  # nothing new: no second alert
        with runtime.session() as session:
            alerts = session.execute(select(Alert.kind, Alert.severity, Alert.source_ref)).all()
        assert [tuple(a) for a in alerts] == [("kpi", "critical", f"dossiers_online_pct@{month}")]


# --- the real national statistics, through the adapters ------------------------------------------


def _one(runtime: Runtime, code: str, period: str, place: str | None = None,
         unit_id: int | None = None) -> list[float]:
    with runtime.session() as session:
        query = (select(IndicatorValue.value).join(Indicator, Indicator.id == IndicatorValue.indicator_id)
                 .where(Indicator.code == code, IndicatorValue.period == period, IndicatorValue.superseded.is_(False),
                        IndicatorValue.agency_id.is_(None)))
        query = query.where(IndicatorValue.place.is_(None) if place is None else IndicatorValue.place == place)
        query = query.where(IndicatorValue.admin_unit_id.is_(None) if unit_id is None
                            else IndicatorValue.admin_unit_id == unit_id)
        return list(session.scalars(query))


def _import(runtime: Runtime, adapter: str, name: str, dry_run: bool = False) -> tuple[int, int, pd.DataFrame]:
    summary = import_file(runtime, (STATS / name).read_bytes(), name, dry_run=dry_run, adapter=adapter)
    return summary.validation.rows_total, summary.new, summary.validation.problems


def test_real_province_statistics_arrive_through_the_adapters(db_url: str) -> None:
    with open_runtime(db_url) as runtime:
        total, new, problems = _import(runtime, "pci", "vn_province_pci_2005-2016.csv")
        # 738 rows; the 50 rows of 2013 without a province are reported by their line in the file.
        assert (total, new) == (738, 688)
        assert set(problems["reason"]) == {"place_missing"} and problems["row"].tolist() == list(range(690, 740))
        assert _one(runtime, "pci_score", "2016") == [pytest.approx(59.680805)]  # Thừa Thiên Huế: the city
        assert _one(runtime, "pci_score", "2005", place="Đà Nẵng")[0] > 0

        total, new, problems = _import(runtime, "papi", "vn_province_papi_2011-2016.csv")
        assert (total, new) == (378 * 3, 378 * 3 - 4)
        assert set(problems["column"]) == {"papi_procedures", "papi_service"}  # the source's own columns
        assert _one(runtime, "papi_score", "2014") == [pytest.approx(37.018664)]

        total, new, problems = _import(runtime, "budget", "vn_province_budget_final_2006-2014.csv")
        assert (total, new) == (569 * 2, 569 * 2 - 8)
        # Million đồng in the file, tỷ đồng in the catalogue.
        assert _one(runtime, "budget_revenue_year", "2014") == [pytest.approx(6398.558, abs=1e-3)]
        assert _one(runtime, "budget_expenditure_year", "2006", place="Đà Nẵng") == [pytest.approx(4464.056, abs=1e-3)]

        total, new, problems = _import(runtime, "gso", "vn_province_gso_indicators_long.csv")
        assert (total, new) == (6918, 6918 - 506)
        assert set(problems["reason"]) == {"value_missing"}  # blank figures of the yearbook
        assert _one(runtime, "population_avg", "2022") == [pytest.approx(1160.22)]
        assert _one(runtime, "grdp_per_capita", "2018", place="Hà Nội") == [pytest.approx(111.6)]
        assert _one(runtime, "health_facilities", "2005", place="Hải Phòng") != []  # "Hai Phuong" in the file
        assert _one(runtime, "hospitals", "2005", place="Cả nước") == [822.0]  # "CA NUOC": the whole country
        with runtime.session() as session:
            places = session.scalar(select(func.count(func.distinct(IndicatorValue.place))))
        assert places == 63 + 1 + 6  # 62 other provinces, Hà Tây, the country and its 6 regions

        before = _values(runtime)
        assert _import(runtime, "gso", "vn_province_gso_indicators_long.csv")[1] == 0
        assert _values(runtime) == before


def test_census_population_goes_to_our_wards_and_other_wards_are_reported(db_url: str) -> None:
    with open_runtime(db_url) as runtime:
        with runtime.session() as session:
            fields = boundaries.FieldMap(code="GID_3", name="NAME_3")
            boundaries.import_geojson(session, HUE_WARDS, level="ward", fields=fields)
            an_cuu = session.scalar(select(AdminUnit.id).where(AdminUnit.name == "AnCựu"))
        total, new, problems = _import(runtime, "census", "hue_quangtri_population_ward_2019.csv")
        assert (total, new) == (294 * 2, 27 * 2)  # Huế's 27 wards; Quảng Trị's and the districts' are not ours
        assert set(problems["reason"]) == {"place_unknown"} and len(problems) == (294 - 27) * 2
        assert _one(runtime, "population_census", "2019", unit_id=an_cuu) == [23776.0]


def test_a_file_that_is_not_the_adapters_format_is_refused_with_a_message(db_url: str) -> None:
    with open_runtime(db_url) as runtime, pytest.raises(Exception, match="thiếu cột prov, year, pci_weighted"):
        import_file(runtime, ONE_STOP_SHOP.read_bytes(), "x.csv", dry_run=True, adapter="pci")


# --- the CLI --------------------------------------------------------------------------------------


def _cli(sqlite_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env |= {"IOC_DATABASE_URL": sqlite_url, "IOC_DEMO": "false"}
    return subprocess.run([sys.executable, "-m", "data.indicator_import", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_cli_dry_runs_imports_and_writes_the_template(sqlite_url: str, tmp_path: Path) -> None:
    report = tmp_path / "loi.csv"
    done = _cli(sqlite_url, str(STATS / "vn_province_pci_2005-2016.csv"), "--adapter", "pci", "--dry-run",
                "--report", str(report))
    assert done.returncode == 0, done.stderr
    assert "dòng đọc được: 738; hợp lệ: 688; bỏ qua vì lỗi: 50" in done.stdout
    assert "giá trị mới sẽ thêm: 688" in done.stdout
    assert len(pd.read_csv(report)) == 50
    done = _cli(sqlite_url, str(STATS / "vn_province_pci_2005-2016.csv"), "--adapter", "pci")
    assert done.returncode == 0 and "giá trị mới thêm: 688" in done.stdout

    template = tmp_path / "mau.xlsx"
    assert _cli(sqlite_url, "--template", str(template)).returncode == 0
    codes = set(read_table(template.read_bytes(), template.name)["indicator_code"])
    with open_runtime(sqlite_url) as runtime, runtime.session() as session:
        assert codes == {s.code for s in indicator_specs(session).values()} and "pci_score" in codes

    done = _cli(sqlite_url, str(tmp_path / "khong-co.csv"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
