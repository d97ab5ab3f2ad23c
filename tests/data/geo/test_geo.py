"""Boundaries: parsing and checking GeoJSON, point location, import into SQLite and PostgreSQL, the CLI.

The ward files are TEST_ONLY (no redistribution): they are read from ../shared/data by path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from data.core.runtime import Runtime
from data.geo import boundaries, geometry, population
from data.models import AdminUnit

ROOT = Path(__file__).resolve().parents[3]
GEO = ROOT.parent / "shared" / "data" / "geo"
HUE_WARDS = GEO / "hue_wards_2019_TEST_ONLY.geojson"
DONG_HA_WARDS = GEO / "dong_ha_wards_2019_TEST_ONLY.geojson"
DISTRICTS = GEO / "hue_quangtri_districts_dvhcvn.geojson"
POPULATION_CSV = ROOT.parent / "shared" / "data" / "stats" / "hue_quangtri_population_ward_2019.csv"
WARD_FIELDS = boundaries.FieldMap(code="GID_3", name="NAME_3", population="pop_total_2019", area="area_sqm")

# Landmarks and the 2019 ward they stand in.
LANDMARKS = [
    ((16.4603, 107.5877), "VĩnhNinh"),  # Trường THPT chuyên Quốc Học, 12 Lê Lợi
    ((16.4735, 107.5885), "PhúHòa"),  # Chợ Đông Ba
    ((16.4565, 107.5780), "Đúc"),  # Ga Huế
    ((16.4532, 107.5446), "HươngLong"),  # Chùa Thiên Mụ
    ((16.8163, 107.1003), "Phường1"),  # centre of Đông Hà
]


def _collection(*features: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def _square(x0: float, y0: float, size: float) -> list[list[float]]:
    return [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]


def _feature(code: str | None, geometry: Any, **props: Any) -> dict[str, Any]:
    properties = {"GID_3": code, "NAME_3": f"Unit {code}", **props}
    return {"type": "Feature", "properties": properties, "geometry": geometry}


# --- pure geometry -----------------------------------------------------------------------------


def test_point_in_polygon_handles_holes_and_multipolygons() -> None:
    with_hole = {"type": "Polygon", "coordinates": [_square(0, 0, 10), _square(4, 4, 2)]}
    assert geometry.point_in_polygon(1, 1, with_hole)
    assert not geometry.point_in_polygon(5, 5, with_hole)  # in the hole
    assert not geometry.point_in_polygon(11, 5, with_hole)
    multi = {"type": "MultiPolygon", "coordinates": [[_square(0, 0, 1)], [_square(5, 5, 1)]]}
    assert geometry.point_in_polygon(5.5, 5.5, multi) and geometry.point_in_polygon(0.5, 0.5, multi)
    assert not geometry.point_in_polygon(3, 3, multi)
    # An unclosed ring (last vertex not repeated) is read as closed.
    open_ring = {"type": "Polygon", "coordinates": [_square(0, 0, 2)[:-1]]}
    assert geometry.point_in_polygon(1, 1, open_ring)


def test_area_and_centroid_of_a_square_with_a_hole() -> None:
    # A 0.02° square near Huế with a quarter-size hole in its north-east (strictly inside: a hole
    # touching the shell would be invalid and repaired first).
    outer = _square(107.0, 16.0, 0.02)
    hole = _square(107.009, 16.009, 0.01)
    area, lat, lon = geometry.area_and_centroid({"type": "Polygon", "coordinates": [outer, hole]})
    full, _, _ = geometry.area_and_centroid({"type": "Polygon", "coordinates": [outer]})
    hole_area, _, _ = geometry.area_and_centroid({"type": "Polygon", "coordinates": [hole]})
    assert area == pytest.approx(full - hole_area, rel=1e-9)
    # A quarter of the square, give or take the ellipsoid: a degree is narrower further north.
    assert hole_area == pytest.approx(full / 4, rel=1e-3) and hole_area < full / 4
    assert lat < 16.01 and lon < 107.01  # pulled away from the hole in the north-east quarter
    assert full == pytest.approx(2_218_000 * 2.13, rel=0.01)  # ≈ 2.22 km × 2.13 km at 16° N


def test_computed_areas_match_the_census_file() -> None:
    for feature in boundaries.read_collection(HUE_WARDS)["features"]:
        area, _, _ = geometry.area_and_centroid(feature["geometry"])
        assert area == pytest.approx(feature["properties"]["area_sqm"], rel=0.001)


def test_locate_finds_the_ward_of_known_places() -> None:
    parsed = boundaries.parse_units(boundaries.read_collection(HUE_WARDS), WARD_FIELDS)
    parsed.units.extend(boundaries.parse_units(boundaries.read_collection(DONG_HA_WARDS), WARD_FIELDS).units)
    shapes = [geometry.UnitShape.of(i, u.geometry) for i, u in enumerate(parsed.units)]
    names = [u.name for u in parsed.units]
    for (lat, lon), ward in LANDMARKS:
        found = geometry.locate(lat, lon, shapes)
        assert found is not None and names[found] == ward, (lat, lon, ward)
    assert geometry.locate(16.60, 107.80, shapes) is None  # the sea off Thuận An


# --- reading and checking files ----------------------------------------------------------------


def test_parse_reads_every_ward_with_population_and_measures() -> None:
    parsed = boundaries.parse_units(boundaries.read_collection(HUE_WARDS), WARD_FIELDS)
    assert parsed.total == 27 and len(parsed.units) == 27 and parsed.problems == []
    an_cuu = next(u for u in parsed.units if u.code == "VNM.54.2.1_1")
    assert (an_cuu.name, an_cuu.population) == ("AnCựu", 23776)
    assert an_cuu.area_sqm == pytest.approx(2591933.8, rel=1e-6)  # the file's figure when a field is given
    min_lon, min_lat, max_lon, max_lat = an_cuu.bbox
    assert min_lat < an_cuu.centroid_lat < max_lat and min_lon < an_cuu.centroid_lon < max_lon


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON (line 1"),
        ("[1, 2]", "got a JSON list"),
        ('{"type": "Feature", "geometry": null}', 'expected "type": "FeatureCollection", got \'Feature\''),
        ('{"type": "FeatureCollection", "features": {}}', '"features" must be a list'),
    ],
)
def test_a_malformed_file_is_one_clear_error(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(boundaries.GeoFileError) as caught:
        boundaries.read_collection(path)
    assert expected in caught.value.message and str(path) in caught.value.message


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(boundaries.GeoFileError, match="file not found"):
        boundaries.read_collection(tmp_path / "nowhere.geojson")


def test_bad_features_are_reported_and_skipped_the_rest_imported() -> None:
    good = {"type": "Polygon", "coordinates": [_square(107.5, 16.4, 0.01)]}
    collection = _collection(
        _feature("A", good, pop_total_2019=100),
        _feature("B", None),
        _feature(None, good),
        _feature("C", {"type": "Point", "coordinates": [107.5, 16.4]}),
        _feature("D", {"type": "Polygon", "coordinates": [[[107.5, 16.4], [107.6, 16.4]]]}),
        _feature("E", {"type": "Polygon", "coordinates": [[[16.4, 107.5], [16.5, 107.5], [16.5, 107.6]]]}),
        _feature("F", {"type": "Polygon", "coordinates": [[["a", 1], [2, 3], [4, 5]]]}),
        _feature("A", good),
        "not a feature",
        _feature("G", good, pop_total_2019="NA"),
    )
    fields = boundaries.FieldMap(code="GID_3", name="NAME_3", population="pop_total_2019")
    parsed = boundaries.parse_units(collection, fields)
    assert [u.code for u in parsed.units] == ["A", "G"]
    messages = {(p.feature, p.skipped): str(p) for p in parsed.problems}
    assert messages[(2, True)] == "feature #2 (B): no geometry; skipped"
    assert "no value in the code field 'GID_3'" in messages[(3, True)]
    assert "'Point' is not Polygon or MultiPolygon" in messages[(4, True)]
    assert "fewer than 3 positions" in messages[(5, True)]
    assert "off the globe (lon, lat order?)" in messages[(6, True)]
    assert "non-numeric" in messages[(7, True)]
    assert "the same code appears earlier" in messages[(8, True)]
    assert "not a GeoJSON Feature" in messages[(9, True)]
    assert "no number in the field 'pop_total_2019' ('NA')" in messages[(10, False)]  # a warning: imported
    assert parsed.skipped == 8


def test_an_empty_collection_parses_to_nothing() -> None:
    parsed = boundaries.parse_units(_collection(), WARD_FIELDS)
    assert (parsed.total, parsed.units, parsed.problems) == (0, [], [])


# --- import into the database (SQLite and PostgreSQL) -----------------------------------------


def _import_wards(runtime: Runtime) -> list[boundaries.ImportReport]:
    with runtime.session() as session:
        return [
            boundaries.import_geojson(session, path, level="ward", fields=WARD_FIELDS, population_year=2019)
            for path in (HUE_WARDS, DONG_HA_WARDS)
        ]


def test_import_wards_counts_populations_location_and_idempotence(runtime: Runtime) -> None:
    first = _import_wards(runtime)
    assert [(r.inserted, r.updated, r.problems) for r in first] == [(27, 0, []), (9, 0, [])]
    with runtime.session() as session:
        assert session.scalar(select(func.count(AdminUnit.id)).where(AdminUnit.level == "ward")) == 36
        populations = dict(session.execute(select(AdminUnit.name, AdminUnit.population)).all())
        assert populations["AnCựu"] == 23776 and populations["Phường5"] == 25471
        assert sum(p or 0 for p in populations.values()) == 351456 + 95658  # 2019 census: Huế's and Đông Hà's wards
        shapes = boundaries.unit_shapes(session, "ward")
        names = dict(session.execute(select(AdminUnit.id, AdminUnit.name)).all())
        for (lat, lon), ward in LANDMARKS:
            assert names[geometry.locate(lat, lon, shapes) or 0] == ward
        unit = session.scalar(select(AdminUnit).where(AdminUnit.code == "VNM.54.2.26_1"))
        assert unit is not None and unit.boundary is not None and unit.bbox is not None
        assert (unit.name, unit.population_year, unit.source) == ("VĩnhNinh", 2019, HUE_WARDS.name)
    again = _import_wards(runtime)
    assert [(r.inserted, r.updated) for r in again] == [(0, 27), (0, 9)]
    with runtime.session() as session:
        assert session.scalar(select(func.count(AdminUnit.id))) == 36


def test_import_districts_and_population_csv(runtime: Runtime) -> None:
    fields = boundaries.FieldMap(code="level2_id", name="name", parent_code="level1_id")
    with runtime.session() as session:
        report = boundaries.import_geojson(
            session, DISTRICTS, level="district", fields=fields, parent_level="province", is_demo=True
        )
        assert (report.inserted, report.total) == (19, 19)
        # No province units yet: each district says so, and is imported without a parent.
        assert all(not p.skipped and "parent" in p.message for p in report.problems)
        assert len(report.problems) == 19
        names = set(session.scalars(select(AdminUnit.name).where(AdminUnit.level == "district")))
        assert {"Thành phố Huế", "Thành phố Đông Hà", "Huyện A Lưới"} <= names
    wards = boundaries.FieldMap(code="GID_3", name="NAME_3")  # no population in this import
    with runtime.session() as session:
        boundaries.import_geojson(session, HUE_WARDS, level="ward", fields=wards)
        pop = population.import_population(
            session, POPULATION_CSV, level="ward", code_field="ward_id", population_field="total", year=2019
        )
        assert (pop.rows, pop.updated, len(pop.unmatched)) == (294, 27, 294 - 27)
    with runtime.session() as session:
        total = session.scalar(select(func.sum(AdminUnit.population)).where(AdminUnit.level == "ward"))
        assert total == 351456
        # Re-importing the boundaries without a population field keeps the census figures.
        boundaries.import_geojson(session, HUE_WARDS, level="ward", fields=wards)
        assert session.scalar(select(func.sum(AdminUnit.population)).where(AdminUnit.level == "ward")) == 351456


def test_parent_links_when_the_parent_level_exists(sqlite_runtime: Runtime) -> None:
    with sqlite_runtime.session() as session:
        session.add(AdminUnit(level="province", code="46", name="Tỉnh Thừa Thiên Huế"))
        session.flush()
        fields = boundaries.FieldMap(code="level2_id", name="name", parent_code="level1_id")
        report = boundaries.import_geojson(session, DISTRICTS, level="district", fields=fields, parent_level="province")
        assert len(report.problems) == 10  # the 10 districts of Quảng Trị (45) find no parent
        hue = session.scalar(select(AdminUnit).where(AdminUnit.level == "district", AdminUnit.code == "474"))
        assert hue is not None and hue.parent_id is not None


# --- the command line --------------------------------------------------------------------------


def _cli(sqlite_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env |= {"IOC_DATABASE_URL": sqlite_url, "IOC_DEMO": "false"}
    return subprocess.run(
        [sys.executable, "-m", "data.geo", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_cli_imports_and_prints_the_validation_report(sqlite_url: str, tmp_path: Path) -> None:
    common = ["--level", "ward", "--code-field", "GID_3", "--name-field", "NAME_3"]
    done = _cli(sqlite_url, "import", str(HUE_WARDS), *common, "--population-field", "pop_total_2019")
    assert done.returncode == 0, done.stderr
    assert "Imported 27 of 27 features as ward units (27 new, 0 updated)." in done.stdout

    mixed = tmp_path / "mixed.geojson"
    wards = boundaries.read_collection(HUE_WARDS)["features"][:2]
    wards[1] = {**wards[1], "geometry": None}
    mixed.write_text(json.dumps(_collection(*wards)), encoding="utf-8")
    done = _cli(sqlite_url, "import", str(mixed), *common)
    assert done.returncode == 0, done.stderr
    assert (
        "Imported 1 of 2 features" in done.stdout and "feature #2 (VNM.54.2.2_1): no geometry; skipped" in done.stdout
    )

    nothing = tmp_path / "nothing.geojson"
    nothing.write_text(json.dumps(_collection(wards[1])), encoding="utf-8")
    done = _cli(sqlite_url, "import", str(nothing), *common)
    assert done.returncode == 1 and "Imported 0 of 1 features" in done.stdout

    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    done = _cli(sqlite_url, "import", str(broken), *common)
    assert done.returncode == 1 and "not valid JSON" in done.stderr and "Traceback" not in done.stderr

    done = _cli(sqlite_url, "population", str(POPULATION_CSV), "--code-field", "ward_id",
                "--population-field", "total", "--year", "2019")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "updated the population of 27 ward units" in done.stdout

    done = _cli(sqlite_url, "population", str(POPULATION_CSV), "--code-field", "nope", "--population-field", "total")
    assert done.returncode == 1 and "no column 'nope'" in done.stderr
