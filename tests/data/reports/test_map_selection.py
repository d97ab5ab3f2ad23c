"""Areas drawn on the map: what the draw control sends, the reports inside a polygon or a circle, and their
export (CSV, GeoJSON) without the reporter's name, phone or e-mail."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dashboard.api.report_export import SEALED_COLUMNS, columns_for
from dashboard.pages.map.export import MAX_ROWS, build_export
from data.core.errors import InvalidInput
from data.core.runtime import Runtime
from data.models import ReportStatus, utcnow
from data.reports.filters import ReportFilter
from data.reports.selection import Area, areas_of, count_inside, inside_any, reports_inside
from tests.factories import HUE_LAT, HUE_LON, report, world

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
EAST_300M = (HUE_LAT, HUE_LON + 300 / (111_320 * 0.9590))  # cos(16.47°) ≈ 0.959
NORTH_2KM = (HUE_LAT + 2000 / 111_320, HUE_LON)


def _circle(lat: float, lon: float, radius: float) -> dict[str, Any]:
    """A circle as dash-leaflet's EditControl hands it over."""
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"type": "circle", "_mRadius": radius, "_leaflet_id": 77}}


def _box(lat: float, lon: float, half: float, kind: str = "rectangle") -> dict[str, Any]:
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half],
            [lon - half, lat - half]]
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": {"type": kind}}


def _drawn(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def test_what_the_draw_control_sends() -> None:
    marker = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [HUE_LON, HUE_LAT]},
              "properties": {"type": "marker"}}
    areas = areas_of(_drawn(_box(*NORTH_2KM, 0.002), _circle(HUE_LAT, HUE_LON, 500), marker))
    assert [a.polygon is not None for a in areas] == [True, False]  # the marker selects nothing
    circle = areas[1]
    assert circle.centre == (HUE_LAT, HUE_LON) and circle.radius_m == 500
    assert circle.contains(*EAST_300M) and not circle.contains(*NORTH_2KM)
    assert areas[0].contains(*NORTH_2KM) and not areas[0].contains(HUE_LAT, HUE_LON)
    w, s, e, n = circle.bbox()
    assert w < EAST_300M[1] < e and s < HUE_LAT < n
    assert areas_of(None) == [] and areas_of({"features": []}) == []
    assert not inside_any(areas, None, HUE_LON)  # a report without a place is in no area


@pytest.mark.parametrize(("feature", "message"), [
    ({"type": "Feature", "geometry": None, "properties": {}}, "không có hình học"),
    ({"type": "Feature", "properties": {"type": "polygon"},
      "geometry": {"type": "Polygon", "coordinates": [[[107.5, 16.4], [107.6, 16.4]]]}}, "fewer than 3 positions"),
    ({"type": "Feature", "properties": {"type": "polygon"},
      "geometry": {"type": "Polygon", "coordinates": [[[16.4, 107.5], [16.5, 107.6], [16.4, 107.6]]]}},
     "off the globe"),
    (_circle(HUE_LAT, HUE_LON, 0) | {"properties": {"type": "circle"}}, "Bán kính"),
    (_circle(HUE_LAT, HUE_LON, 900_000), "Bán kính"),
    ("not a feature", "không phải là một đối tượng GeoJSON"),
])
def test_a_shape_that_cannot_select_is_a_clear_error(feature: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        areas_of(_drawn(feature))


def _seed(runtime: Runtime) -> None:
    now = utcnow()
    with runtime.session() as s:
        w = world(s)
        report(s, w, tracking_code="IN-CENTRE", created_at=now - timedelta(hours=3))
        report(s, w, tracking_code="IN-EAST", lat=EAST_300M[0], lon=EAST_300M[1], status=ReportStatus.RESOLVED,
               created_at=now - timedelta(hours=2))
        report(s, w, tracking_code="IN-NORTH", lat=NORTH_2KM[0], lon=NORTH_2KM[1], created_at=now - timedelta(hours=1))
        report(s, w, tracking_code="NO-PLACE", lat=None, lon=None, created_at=now - timedelta(hours=1))
        report(s, w, tracking_code="TOO-OLD", created_at=now - timedelta(days=60))


def _codes(runtime: Runtime, f: ReportFilter, drawn: dict[str, Any] | None) -> list[str]:
    with runtime.session() as s:
        codes = [r["tracking_code"] for r in reports_inside(s, f, areas_of(drawn))]
        assert count_inside(s, f, areas_of(drawn)) == len(codes)  # the panel's count, from places only
        return codes


def test_reports_inside_a_polygon_or_a_circle(runtime: Runtime) -> None:
    _seed(runtime)
    month = ReportFilter(since=utcnow() - timedelta(days=30))
    circle, box = _circle(HUE_LAT, HUE_LON, 500), _box(*NORTH_2KM, 0.002, kind="polygon")
    assert _codes(runtime, month, _drawn(circle)) == ["IN-EAST", "IN-CENTRE"]  # newest first
    assert _codes(runtime, month, _drawn(box)) == ["IN-NORTH"]
    assert _codes(runtime, month, _drawn(circle, box)) == ["IN-NORTH", "IN-EAST", "IN-CENTRE"]
    assert _codes(runtime, month, _drawn(_circle(HUE_LAT, HUE_LON, 200))) == ["IN-CENTRE"]  # 300 m east is out
    open_only = ReportFilter(since=month.since, statuses=("received",))
    assert _codes(runtime, open_only, _drawn(circle)) == ["IN-CENTRE"]
    # Nothing drawn: the current layer's selection, i.e. every filtered report that has a place.
    assert _codes(runtime, month, None) == ["IN-NORTH", "IN-EAST", "IN-CENTRE"]


def test_exports_hold_the_selection_and_no_personal_data(runtime: Runtime) -> None:
    _seed(runtime)
    month = ReportFilter(since=utcnow() - timedelta(days=30))
    drawn = areas_of(_drawn(_circle(HUE_LAT, HUE_LON, 500)))
    local_now = datetime(2025, 3, 10, 12, 30, tzinfo=HCM)
    with runtime.session() as s:
        as_csv = build_export(reports_inside(s, month, drawn), "csv", HCM, local_now)
    with runtime.session() as s:
        as_geojson = build_export(reports_inside(s, month, drawn), "geojson", HCM, local_now)
    for made in (as_csv, as_geojson):
        assert made.rows == 2 and not made.truncated
        for personal in ("Nguyễn Văn An", "0905123456", "an@example.vn"):
            assert personal not in made.content
    assert as_csv.filename == "ban-do-phan-anh-20250310-1230.csv"
    rows = list(csv.reader(io.StringIO(as_csv.content.removeprefix("\ufeff"))))
    assert rows[0] == [header for _, header in columns_for(False)]
    assert not {header for _, header in SEALED_COLUMNS} & set(rows[0])
    assert [r[0] for r in rows[1:]] == ["IN-EAST", "IN-CENTRE"]
    assert rows[1][rows[0].index("Trạng thái")] == "Đã xử lý"  # the same labels as the reports export
    collection = json.loads(as_geojson.content)
    assert collection["type"] == "FeatureCollection"
    east = collection["features"][0]
    assert east["geometry"] == {"type": "Point", "coordinates": [EAST_300M[1], EAST_300M[0]]}
    assert set(east["properties"]) == {key for key, _ in columns_for(False)}
    assert east["properties"]["tracking_code"] == "IN-EAST"


def test_an_export_is_capped() -> None:
    rows = ({"tracking_code": f"C-{i}", "lat": 16.4, "lon": 107.5} for i in range(MAX_ROWS + 5))
    made = build_export(rows, "csv", HCM, datetime(2025, 1, 1, tzinfo=HCM))
    assert made.rows == MAX_ROWS and made.truncated
    assert made.content.count("\n") == MAX_ROWS + 1  # the header and the newest MAX_ROWS


def test_area_contains_respects_polygon_holes() -> None:
    outer = [[107.0, 16.0], [108.0, 16.0], [108.0, 17.0], [107.0, 17.0], [107.0, 16.0]]
    hole = [[107.4, 16.4], [107.6, 16.4], [107.6, 16.6], [107.4, 16.6], [107.4, 16.4]]
    area = Area(polygon={"type": "Polygon", "coordinates": [outer, hole]})
    assert area.contains(16.2, 107.2) and not area.contains(16.5, 107.5)
