"""The demo sensors' job (``sensors.simulate``): each demo sensor reports one reading through the real
intake path (stored, the map's latest value moved); sensors that are not the demo's are left alone."""

from __future__ import annotations

from sqlalchemy import select

from data.models import MapFeature, SensorReading
from data.monitoring import sensors
from tests.dbfixtures import open_runtime


def test_the_demo_sensors_report_through_the_real_intake(db_url: str) -> None:
    with open_runtime(db_url) as runtime:
        with runtime.session() as s:
            s.add_all([
                MapFeature(layer="sensor", kind="air", code="DEMO-AIR", name="Trạm demo Lê Lợi", lat=16.463,
                           lon=107.588, properties={"aqi": 60}, is_demo=True),
                MapFeature(layer="sensor", kind="water", code="DEMO-WL", name="Trạm demo Kim Long", lat=16.462,
                           lon=107.559, properties={"water_level_m": 0.5, "alarm_levels": [1.0, 2.0, 3.5]},
                           is_demo=True),
                MapFeature(layer="sensor", kind="air", code="REAL-AIR", name="Trạm thật", lat=16.47, lon=107.6,
                           properties={"aqi": 60}),
            ])
        result = sensors.simulate(runtime)
        assert (result.stored, result.errors) == (2, [])
        with runtime.session() as s:
            taken = dict(s.execute(select(MapFeature.code, SensorReading.metric)
                                   .join(SensorReading, SensorReading.feature_id == MapFeature.id)).all())
            assert taken == {"DEMO-AIR": "aqi", "DEMO-WL": "water_level_m"}
            aqi = s.scalar(select(SensorReading.value).where(SensorReading.metric == "aqi"))
            assert aqi is not None and 55 <= aqi <= 65  # a step of at most 8 % from 60
            air = s.scalar(select(MapFeature).where(MapFeature.code == "DEMO-AIR"))
            assert air is not None and air.properties is not None and air.properties["aqi"] == aqi  # the map's value
            assert {r.source for r in s.scalars(select(SensorReading))} == {"demo"}
