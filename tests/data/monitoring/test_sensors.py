"""Environment monitoring (data/monitoring/sensors.py, dashboard/api/sensors.py): readings in through every path,
history kept, thresholds raising one alert per level, bad batches refused reading by reading."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app import create_app
from data.accounts.apikeys import create_api_key
from data.alerts.events import history as alert_history
from data.core.bus import drain
from data.core.runtime import Runtime
from data.models import Alert, MapFeature, SensorReading, utcnow
from data.monitoring import sensors
from tests.dbfixtures import open_runtime
from tests.http_pages import Pages

FIXED = datetime(2026, 12, 7, 9, 0)
HUE = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=1)  # intake refuses future readings


def test_aqi_bands_and_flood_alarms_decide_the_alert() -> None:
    assert sensors.breach("air", "Lê Lợi", "aqi", 150) is None  # "Kém": shown orange, no alert
    bad = sensors.breach("air", "Lê Lợi", "aqi", 151)
    assert bad is not None and (bad.level, bad.kind, bad.severity) == ("aqi-bad", "sensor", "warning")
    assert bad.title == "Chất lượng không khí xấu (AQI 151): Lê Lợi"
    worst = sensors.breach("air", "Lê Lợi", "aqi", 320)
    assert worst is not None and (worst.level, worst.severity) == ("aqi-critical", "critical")
    assert sensors.breach("air", "Lê Lợi", "pm25", 400) is None  # PM2.5 is kept, AQI decides
    assert sensors.breach("water", "Kim Long", "water_level_m", 0.99, [1.0, 2.0, 3.5]) is None
    second = sensors.breach("water", "Kim Long", "water_level_m", 2.0, [3.5, 1.0, 2.0])  # unsorted levels
    assert second is not None and (second.level, second.kind, second.severity) == ("alarm-2", "flood", "warning")
    assert second.title == "Mực nước 2 m vượt báo động II: Kim Long"
    third = sensors.breach("water", "Kim Long", "water_level_m", 4.1, [1.0, 2.0, 3.5])
    assert third is not None and third.severity == "critical"
    assert sensors.breach("water", "Kim Long", "water_level_m", 9.0, []) is None  # a gauge without alarm levels
    assert sensors.aqi_band(42)[1:] == ("Tốt", "Good") and sensors.aqi_band(999)[1] == "Nguy hại"


def test_a_batch_is_checked_reading_by_reading() -> None:
    raw = [
        {"sensor": "AIR-LELOI", "at": "2026-12-07T15:55:00+07:00", "metric": "aqi", "value": 88},
        {"sensor": "AIR-LELOI", "at": "2026-12-07T08:00:00", "metric": "ozone", "value": 3},
        {"sensor": "AIR-LELOI", "at": "2026-12-07T08:00:00", "metric": "aqi", "value": "nhiều"},
        {"sensor": "WL-KIMLONG", "at": "2026-12-07T08:00:00", "metric": "water_level_m", "value": 99},
        {"sensor": "WL-KIMLONG", "at": "2026-12-08T08:00:00", "metric": "water_level_m", "value": 1.2},
        {"sensor": "WL-KIMLONG", "at": "2026-12-07T08:00:00", "metric": "water_level_m", "value": 1.2, "x": 1},
        "rác",
    ]
    kept, errors = sensors.parse_batch(raw, FIXED, HUE)
    assert [(n, r.at) for n, r in kept] == [(1, datetime(2026, 12, 7, 8, 55))]  # +07:00 stored as UTC
    assert [e.split(":")[0] for e in errors] == ["#2", "#3", "#4", "#5", "#6", "#7"]
    assert "ozone" in errors[0] and "ngoài khoảng hợp lý" in errors[2]
    assert errors[3] == "#5: thời điểm 2026-12-08 15:00 ở tương lai (đồng hồ cảm biến sai?)."  # 08:00 UTC, in Huế
    assert sensors.parse_batch({"readings": raw[:1]}, FIXED, HUE)[0][0][1].value == 88
    assert sensors.parse_batch({"sensor": "x"}, FIXED, HUE)[1] == [
        'Dữ liệu phải là một danh sách số đo (JSON array) hoặc {"readings": [...]}.']


def test_the_demo_feed_walks_from_the_latest_value() -> None:
    air = MapFeature(layer="sensor", kind="air", code="A", name="A", lat=0, lon=0, properties={"aqi": 100})
    water = MapFeature(layer="sensor", kind="water", code="W", name="W", lat=0, lon=0,
                       properties={"water_level_m": 0.02, "alarm_levels": [1, 2, 3]})
    silent = MapFeature(layer="sensor", kind="air", code="S", name="S", lat=0, lon=0, properties={})
    batch = sensors.simulated([air, water, silent], datetime(2026, 12, 7, 9, 0, 31), lambda: -1.0)
    assert batch == [{"sensor": "A", "at": "2026-12-07T09:00:00", "metric": "aqi", "value": 92},
                     {"sensor": "W", "at": "2026-12-07T09:00:00", "metric": "water_level_m", "value": 0.0}]


def _seed(runtime: Runtime) -> None:
    with runtime.session() as s:
        s.add_all([
            MapFeature(layer="sensor", kind="air", code="AIR-LELOI", name="Trạm Lê Lợi", lat=16.463, lon=107.588,
                       properties={"aqi": 60}),
            MapFeature(layer="sensor", kind="water", code="WL-KIMLONG", name="Trạm Kim Long", lat=16.462,
                       lon=107.559, properties={"water_level_m": 0.5, "alarm_levels": [1.0, 2.0, 3.5]}),
        ])


@pytest.fixture
def rt(db_url: str) -> Iterator[Runtime]:
    with open_runtime(db_url) as runtime:
        _seed(runtime)
        yield runtime


def _water(at: datetime, value: float) -> dict[str, object]:
    return {"sensor": "WL-KIMLONG", "at": at.isoformat(), "metric": "water_level_m", "value": value}


def test_readings_are_kept_the_map_moves_and_alerts_follow_the_levels(rt: Runtime) -> None:
    feed = rt.bus.subscribe("alerts")
    first = sensors.receive(rt, [_water(NOW - timedelta(minutes=20), 0.8), _water(NOW - timedelta(minutes=10), 2.1),
                                 {"sensor": "AIR-LELOI", "at": NOW.isoformat(), "metric": "water_level_m", "value": 1},
                                 {"sensor": "KHONG-CO", "at": NOW.isoformat(), "metric": "aqi", "value": 1}], "test")
    assert (first.stored, first.unchanged) == (2, 0)
    assert first.errors == ["#3: cảm biến «AIR-LELOI» (air) không đo water_level_m.",
                            "#4: không có cảm biến mã «KHONG-CO»."]
    again = sensors.receive(rt, [_water(NOW - timedelta(minutes=10), 2.1)], "test")  # a retried batch
    assert (again.stored, again.unchanged, again.alerts) == (0, 1, [])
    late = sensors.receive(rt, [_water(NOW - timedelta(minutes=30), 0.4)], "test")  # older: history only
    assert late.stored == 1
    higher = sensors.receive(rt, [_water(NOW - timedelta(minutes=5), 2.3)], "test")  # still alarm II
    assert higher.alerts == []
    flood = sensors.receive(rt, [_water(NOW, 3.6)], "test")  # alarm III: a new, critical alert
    assert len(flood.alerts) == 1
    with rt.session() as s:
        gauge = s.scalar(select(MapFeature).where(MapFeature.code == "WL-KIMLONG"))
        assert gauge is not None and gauge.properties is not None
        assert gauge.properties["water_level_m"] == 3.6 and gauge.properties["water_level_m_at"] == NOW.isoformat()
        assert gauge.properties["alarm_levels"] == [1.0, 2.0, 3.5]
        assert [v for _, v in sensors.history(s, gauge.id, "water_level_m", NOW - timedelta(hours=1))] == [
            0.4, 0.8, 2.1, 2.3, 3.6]
        raised = list(s.scalars(select(Alert).order_by(Alert.id)))
        assert [(a.kind, a.severity, a.source_ref) for a in raised] == [
            ("flood", "warning", "WL-KIMLONG:alarm-2"), ("flood", "critical", "WL-KIMLONG:alarm-3")]
        assert raised[1].title == "Mực nước 3.6 m vượt báo động III: Trạm Kim Long"
        local = NOW + timedelta(hours=7)  # Huế: UTC+7 all year
        assert raised[1].message == f"Số đo lúc {local:%d/%m/%Y %H:%M}: water_level_m = 3.6."
        assert [e.action for e in alert_history(s, raised[1].id)] == ["raised"]
    assert [(m["severity"], m["action"]) for m in drain(feed, 1.0)] == [("warning", "raised"), ("critical", "raised")]


def test_the_endpoint_needs_a_sensor_key_and_reports_each_refusal(rt: Runtime) -> None:
    with rt.session() as s:
        _, key = create_api_key(s, "Trạm quan trắc", "sensors")
        _, open311_key = create_api_key(s, "Ứng dụng Hue-S")
    client: FlaskClient = create_app(rt.settings, rt).server.test_client()
    body = [{"sensor": "AIR-LELOI", "at": NOW.isoformat(), "metric": "aqi", "value": 210},
            {"sensor": "AIR-LELOI", "at": NOW.isoformat(), "metric": "aqi", "value": -4}]
    missing = client.post("/api/sensors/readings", json=body)
    assert missing.status_code == 401 and "X-API-Key" in missing.json["error"]
    for wrong in ("ioc311_sai", open311_key):
        refused = client.post("/api/sensors/readings", json=body, headers={"X-API-Key": wrong})
        assert refused.status_code == 403
        assert "thu hồi" in refused.json["error"] or "không được gửi số đo cảm biến" in refused.json["error"]
    not_json = client.post("/api/sensors/readings", data="aqi=5", headers={"X-API-Key": key})
    assert not_json.status_code == 400 and "JSON" in not_json.json["error"]
    all_bad = client.post("/api/sensors/readings", json=body[1:], headers={"X-API-Key": key})
    assert all_bad.status_code == 400 and all_bad.json["errors"][0].startswith("#1: aqi = -4")
    done = client.post("/api/sensors/readings", json=body, headers={"X-API-Key": key})
    assert done.status_code == 200
    assert (done.json["stored"], len(done.json["errors"]), len(done.json["alerts"])) == (1, 1, 1)
    with rt.session() as s:
        alert = s.get(Alert, done.json["alerts"][0])
        assert alert is not None and (alert.kind, alert.severity) == ("sensor", "critical")
        assert s.scalar(select(SensorReading.source)) == "api:Trạm quan trắc"


def test_the_pull_job_reads_every_feed_and_survives_one_that_is_down(db_url: str) -> None:
    pages = Pages()
    try:
        pages.pages["/air.json"] = ("application/json", json.dumps(
            [{"sensor": "AIR-LELOI", "at": (NOW - timedelta(hours=1)).isoformat(), "metric": "aqi", "value": 77}]
        ).encode())
        pages.pages["/broken.json"] = ("application/json", b"{not json")
        feeds = [f"{pages.url}/air.json", f"{pages.url}/broken.json", f"{pages.url}/missing.json"]
        with open_runtime(db_url, sensor_feeds=feeds) as runtime:
            _seed(runtime)
            results = sensors.pull(runtime)
            assert [r.stored for r in results] == [1, 0, 0]
            assert "không đọc được" in results[1].errors[0] and "404" in results[2].errors[0]
            assert sum(r.stored for r in sensors.pull(runtime)) == 0  # read again: nothing new
            with runtime.session() as s:
                assert s.scalar(select(func.count()).select_from(SensorReading)) == 1
    finally:
        pages.close()
