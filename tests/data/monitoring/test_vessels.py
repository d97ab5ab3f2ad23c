"""Fishing-vessel monitoring (data/monitoring/vessels/): validation row by row, ingest and its idempotency, the
zone check, one alert per vessel and reason, the silent check, the pull job against feeds served on
loopback, and the demo fleet through the same intake. Database tests run on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from data.alerts.events import act
from data.core.bus import drain
from data.core.errors import InvalidInput
from data.core.jobs import schedule_for
from data.core.runtime import Runtime
from data.demo import seed_demo
from data.demo.vessels import FLEET, seed_vessels, simulated, vessel_feed
from data.geo.geometry import UnitShape
from data.models import Alert, MapFeature, Vessel, VesselPosition, utcnow
from data.monitoring.vessels import (
    OUT_OF_ZONE,
    SILENT,
    Zone,
    check_silent,
    in_allowed_zone,
    parse_batch,
    pull_feeds,
    receive,
    upsert_zone,
    vessel_state,
)
from tests.dbfixtures import open_runtime, settings_for
from tests.http_pages import Pages

NOW = datetime(2026, 12, 7, 6, 0)
HUE = ZoneInfo("Asia/Ho_Chi_Minh")
# A plain rectangle of sea off Thuận An (GeoJSON order: lon, lat) and a second one further out.
INSHORE = {"type": "Polygon", "coordinates": [[[107.6, 16.55], [107.9, 16.55], [107.9, 16.75], [107.6, 16.75],
                                               [107.6, 16.55]]]}
OFFSHORE = {"type": "Polygon", "coordinates": [[[108.0, 16.8], [108.3, 16.8], [108.3, 17.1], [108.0, 17.1],
                                                [108.0, 16.8]]]}


def _msg(vessel: str = "TTH-90123-TS", minutes_ago: int = 10, lat: float = 16.65, lon: float = 107.75,
         now: datetime = NOW, **extra: object) -> dict[str, object]:
    return {"vessel": vessel, "at": (now - timedelta(minutes=minutes_ago)).isoformat() + "Z", "lat": lat,
            "lon": lon, "speed_kn": 6.5, "heading": 90, **extra}


def _zones() -> list[Zone]:
    return [Zone("VL-1", "Lộng", UnitShape.of(1, INSHORE)), Zone("VK-1", "Khơi", UnitShape.of(2, OFFSHORE))]


@pytest.fixture
def runtime(db_url: str) -> Iterator[Runtime]:
    with open_runtime(db_url, vessel_silent_after_min=30) as rt:
        with rt.session() as s:
            upsert_zone(s, "VL-1", "Vùng lộng thử", INSHORE)
            upsert_zone(s, "VK-1", "Vùng khơi thử", OFFSHORE, kind="offshore")
            s.add(Vessel(code="TTH-90123-TS", name="Minh Phát", owner_phone="0905111222", zone_code="VL-1"))
        yield rt


def _vessel_alerts(rt: Runtime) -> list[tuple[str | None, str | None, str]]:
    with rt.session() as s:
        return [(a.source, a.source_ref, a.title) for a in s.scalars(
            select(Alert).where(Alert.kind == "vessel").order_by(Alert.id))]


# -- pure -----------------------------------------------------------------------------------------


def test_bad_rows_are_reported_by_number_and_field_and_good_rows_kept() -> None:
    raw = [
        _msg(),
        _msg(lat=95.0),  # off the globe
        _msg(minutes_ago=-60),  # an hour in the future
        {**_msg(), "colour": "blue"},  # unknown field
        _msg(vessel="TTH 90123"),  # a space in the registration
        {"vessel": "TTH-1-TS", "lat": 16.6, "lon": 107.7},  # no time
        _msg(at="yesterday"),
        "not an object",
        _msg(vessel="tth-777-ts", at="2026-12-07T12:50:00+07:00"),  # local time with its zone: 05:50 UTC
    ]
    batch = parse_batch(raw, NOW, HUE)
    assert [(m.vessel, m.at) for m in batch.messages] == [("TTH-90123-TS", datetime(2026, 12, 7, 5, 50)),
                                                          ("TTH-777-TS", datetime(2026, 12, 7, 5, 50))]
    problems = [(p.row, p.field) for p in batch.problems]
    assert problems == [(2, "lat"), (3, "at"), (4, "colour"), (5, "vessel"), (6, "at"), (7, "at"), (8, "dòng")]
    text = {p.row: p.message for p in batch.problems}
    assert "≤ 90" in text[2] and "vessel, at, lat, lon" in text[4]
    assert text[3].startswith("thời điểm 2026-12-07 14:00 ở tương lai")  # 07:00 UTC, read in Huế
    assert "ISO 8601" in text[7] and "bắt buộc" in text[6]


def test_a_batch_that_is_not_a_list_or_too_long_is_refused_whole() -> None:
    with pytest.raises(InvalidInput, match="danh sách"):
        parse_batch({"vessel": "TTH-1-TS"}, NOW, HUE)
    with pytest.raises(InvalidInput, match="tối đa 5000"):
        parse_batch([_msg()] * 5001, NOW, HUE)
    assert len(parse_batch({"positions": [_msg()]}, NOW, HUE).messages) == 1


def test_zone_check_uses_the_licensed_zone_else_any() -> None:
    zones = _zones()
    assert in_allowed_zone(16.65, 107.75, zones, "VL-1") is True
    assert in_allowed_zone(16.9, 108.1, zones, "VL-1") is False  # in the offshore zone, licensed inshore
    assert in_allowed_zone(16.9, 108.1, zones, None) is True
    assert in_allowed_zone(16.9, 108.1, zones, "NO-SUCH") is True  # an unknown licence: judged by every zone
    assert in_allowed_zone(16.3, 107.5, zones, None) is False  # on land
    assert in_allowed_zone(16.3, 107.5, [], None) is None  # no zones: nothing to judge by


def test_silence_outranks_every_other_state() -> None:
    assert vessel_state(False, None, silent=True) == SILENT
    assert vessel_state(False, "moored", silent=False) == "in_port"
    assert vessel_state(False, "fishing", silent=False) == OUT_OF_ZONE
    assert vessel_state(None, None, silent=False) == "ok"


# -- database ---------------------------------------------------------------------------------------


def test_ingest_stores_tracks_caches_the_latest_and_is_idempotent(runtime: Runtime) -> None:
    batch = [_msg(minutes_ago=20, lon=107.70), _msg(minutes_ago=10, lon=107.72),
             _msg(vessel="TTH-55555-TS", minutes_ago=5, name="Tàu mới", nav_status="fishing"),
             _msg(minutes_ago=10, lon=107.72)]  # a relayed copy within the batch
    first = receive(runtime, batch, now=NOW)
    assert (first.stored, first.duplicates, first.vessels_created, first.rejected) == (3, 1, 1, [])
    again = receive(runtime, batch, now=NOW)
    assert (again.stored, again.duplicates, again.vessels_created) == (0, 4, 0)
    late = receive(runtime, [_msg(minutes_ago=30, lon=107.60)], now=NOW)  # older than the cached position
    assert late.stored == 1
    with runtime.session() as s:
        assert s.scalar(select(func.count(VesselPosition.id))) == 4
        boat = s.scalar(select(Vessel).where(Vessel.code == "TTH-90123-TS"))
        assert boat is not None
        assert (boat.last_at, boat.last_lon, boat.last_speed_kn, boat.last_in_zone) == (
            NOW - timedelta(minutes=10), 107.72, 6.5, True)  # the late message did not move it back
        new = s.scalar(select(Vessel).where(Vessel.code == "TTH-55555-TS"))
        assert new is not None and (new.name, new.nav_status, new.zone_code) == ("Tàu mới", "fishing", None)
    assert _vessel_alerts(runtime) == []


def test_leaving_the_zone_raises_one_alert_until_it_is_closed(runtime: Runtime) -> None:
    sub = runtime.bus.subscribe("alerts")
    out = receive(runtime, [_msg(minutes_ago=9, lat=16.9, lon=108.1)], now=NOW)  # into the offshore zone
    assert len(out.alerts) == 1
    receive(runtime, [_msg(minutes_ago=8, lat=16.95, lon=108.12), _msg(minutes_ago=7, lat=16.96, lon=108.13)],
            now=NOW)
    alerts = _vessel_alerts(runtime)
    assert len(alerts) == 1
    source, ref, title = alerts[0]
    assert (source, ref) == (OUT_OF_ZONE, "TTH-90123-TS")
    assert title == "Tàu cá ra ngoài vùng VL-1: TTH-90123-TS (Minh Phát)"
    announced = list(drain(sub, timeout=1.0))
    assert [(m["action"], m["kind"]) for m in announced] == [("raised", "vessel")]  # after the commit, once
    with runtime.session() as s:
        alert = s.scalar(select(Alert).where(Alert.kind == "vessel"))
        assert alert is not None and "0905111222" not in f"{alert.title} {alert.message}"  # the owner stays sealed
        assert alert.message == "Vị trí cuối 16.9000, 108.1000 lúc 07/12/2026 12:51, 6.5 hải lý/giờ."  # 05:51 UTC
        act(s, alert.id, "close", user_id=None, note="Đã liên lạc, tàu quay về vùng lộng")
    receive(runtime, [_msg(minutes_ago=6, lat=16.97, lon=108.14)], now=NOW)  # still out after the close
    assert len(_vessel_alerts(runtime)) == 2


def test_a_moored_boat_outside_every_zone_raises_nothing(runtime: Runtime) -> None:
    result = receive(runtime, [_msg(vessel="TTH-1000-TS", lat=16.56, lon=107.63, nav_status="moored")], now=NOW)
    assert result.stored == 1 and result.alerts == []
    assert check_silent(runtime, now=NOW + timedelta(hours=5)) == []  # in port: silence is normal


def test_a_silent_boat_raises_one_alert_per_silence(runtime: Runtime) -> None:
    receive(runtime, [_msg(minutes_ago=10)], now=NOW)
    assert check_silent(runtime, now=NOW + timedelta(minutes=15)) == []  # 25 min: not yet
    raised = check_silent(runtime, now=NOW + timedelta(minutes=25))  # 35 min
    assert len(raised) == 1
    assert check_silent(runtime, now=NOW + timedelta(minutes=40)) == []  # still the same open alert
    (source, ref, title), = _vessel_alerts(runtime)
    assert (source, ref) == (SILENT, "TTH-90123-TS") and title.startswith("Tàu cá mất tín hiệu 35 phút")
    with runtime.session() as s:
        alert = s.get(Alert, raised[0])
        assert alert is not None and alert.severity == "critical" and (alert.lat, alert.lon) == (16.65, 107.75)


def test_the_pull_job_reads_every_feed_and_skips_the_broken_ones(db_url: str) -> None:
    now = utcnow()  # the job reads the clock
    served = Pages()
    served.pages["/station-a"] = ("application/json", json.dumps([_msg(now=now), _msg(lat=123.0, now=now)]).encode())
    served.pages["/station-b"] = ("application/json", json.dumps(
        {"positions": [_msg(vessel="TTH-2-TS", minutes_ago=3, now=now)]}).encode())
    served.pages["/html"] = ("text/html", b"<html>Trang chu</html>")
    feeds = [f"{served.url}/station-a", f"{served.url}/missing", f"{served.url}/html", f"{served.url}/station-b"]
    try:
        with open_runtime(db_url, vessel_feeds=feeds) as rt:
            pulls = pull_feeds(rt)
            again = pull_feeds(rt)
            with rt.session() as s:
                codes = sorted(s.scalars(select(Vessel.code)))
    finally:
        served.close()
    assert [(p.stored, p.rejected, p.error is None) for p in pulls] == [(1, 1, True), (0, 0, False), (0, 0, False),
                                                                       (1, 0, True)]
    assert "404" in (pulls[1].error or "") and "Expecting value" in (pulls[2].error or "")
    assert [(p.stored, p.duplicates) for p in again] == [(0, 1), (0, 0), (0, 0), (0, 1)]
    assert codes == ["TTH-2-TS", "TTH-90123-TS"]


def test_the_demo_fleet_goes_through_the_intake_and_shows_every_state(db_url: str) -> None:
    with open_runtime(db_url, vessel_silent_after_min=30) as rt:
        with rt.session() as s:
            assert seed_vessels(s) == len(FLEET)
        first = vessel_feed(rt, now=NOW)
        assert first.rejected == [] and first.stored == 25 * len(FLEET)  # two hours of back track each
        second = vessel_feed(rt, now=NOW + timedelta(minutes=1))
        assert second.stored == len(FLEET) - 1  # the silent boat sends nothing more
        silent = check_silent(rt, now=NOW + timedelta(minutes=1))
        with rt.session() as s:
            alerts = sorted((a.source, a.source_ref) for a in s.scalars(select(Alert)))
            demo_flags = set(s.scalars(select(Vessel.is_demo)))
    assert len(silent) == 1
    assert (SILENT, "TTH-90014-TS") in alerts
    assert all(ref in ("TTH-90013-TS", "TTH-90014-TS") for _, ref in alerts)  # the others stay in their zones
    assert demo_flags == {True}


def test_the_demo_seed_includes_the_fleet_and_the_jobs_are_scheduled(db_url: str) -> None:
    settings = settings_for(db_url, demo=True, demo_reports=0, demo_cameras=0, vessel_feeds_every_s=30)
    with open_runtime(db_url) as rt:
        summary = seed_demo(rt, settings, now=NOW)
        with rt.session() as s:
            zones = sorted(s.scalars(select(MapFeature.code).where(MapFeature.layer == "fishing_zone")))
    assert summary["vessels"] == len(FLEET) and zones == ["VK-TTH-01", "VL-TTH-01"]
    intervals = {job.name: job.interval_s for job in schedule_for(settings)}
    assert (intervals["vessels.pull_feeds"], intervals["vessels.check_silent"], intervals["demo.vessel_feed"]) == (
        30, 300, 60)
    assert "demo.vessel_feed" not in {job.name for job in schedule_for(settings.model_copy(update={"demo": False}))}


def test_the_simulated_batch_backfills_new_boats_only() -> None:
    batch = simulated(FLEET[:2], {FLEET[0].code}, NOW)
    assert [m["vessel"] for m in batch].count(FLEET[0].code) == 1
    assert [m["vessel"] for m in batch].count(FLEET[1].code) == 25
    assert parse_batch(batch, NOW, HUE).problems == []
