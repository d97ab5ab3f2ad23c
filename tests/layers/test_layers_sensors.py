"""The environment sensors layer: VN_AQI bands, flood alarm levels, and the layer over the database."""

from __future__ import annotations

import pytest

from data.models import MapFeature
from data.reports.filters import ReportFilter
from layers.base import MapView
from layers.pois import LAYER as POIS
from layers.sensors import LAYER, UNKNOWN, alarm_level, aqi_band, sensor_properties
from tests.dbfixtures import open_runtime


@pytest.mark.parametrize(("aqi", "label"), [(0, "Tốt"), (50, "Tốt"), (51, "Trung bình"), (100, "Trung bình"),
                                            (101, "Kém"), (151, "Xấu"), (201, "Rất xấu"), (301, "Nguy hại"),
                                            (500, "Nguy hại")])
def test_vn_aqi_bands(aqi: int, label: str) -> None:
    assert aqi_band(aqi)[1] == label


def test_flood_alarm_levels() -> None:
    alarms = [3.5, 1.0, 2.0]  # in any order
    assert [alarm_level(x, alarms) for x in (0.4, 1.0, 1.9, 2.0, 3.6)] == [0, 1, 1, 2, 3]
    water = sensor_properties("water", {"water_level_m": 2.1, "alarm_levels": alarms}, "vi")
    assert water["value"] == "2.1 m – báo động II"
    assert sensor_properties("water", {"water_level_m": 0.3, "alarm_levels": alarms}, "en")["value"] == (
        "0.3 m – normal")
    assert sensor_properties("air", {"pm25": 40.1, "aqi": 112}, "vi")["value"] == "AQI 112 – Kém"
    assert sensor_properties("air", {}, "vi")["color"] == UNKNOWN


def test_the_layer_shows_sensors_and_the_pois_layer_no_longer_does(db_url: str) -> None:
    with open_runtime(db_url) as runtime:
        with runtime.session() as s:
            s.add_all([
                MapFeature(layer="sensor", kind="air", code="AIR-1", name="Trạm Lê Lợi", lat=16.463, lon=107.588,
                           properties={"pm25": 12.0, "aqi": 50}),
                MapFeature(layer="sensor", kind="water", code="H-1", name="Trạm Kim Long", lat=16.462, lon=107.559,
                           properties={"water_level_m": 3.8, "alarm_levels": [1.0, 2.0, 3.5]}),
                MapFeature(layer="poi", kind="school", code="S-1", name="Trường Quốc Học", lat=16.46, lon=107.58),
            ])
        with runtime.session() as s:
            sensors = LAYER.load(s, ReportFilter(), MapView())
            pois = POIS.load(s, ReportFilter(), MapView())
    by_name = {f["properties"]["name"]: f["properties"] for f in sensors["features"]}
    assert by_name["Trạm Lê Lợi"]["color"] == "#00e400"
    assert by_name["Trạm Kim Long"]["value"] == "3.8 m – báo động III"
    assert [f["properties"]["name"] for f in pois["features"]] == ["Trường Quốc Học"]
