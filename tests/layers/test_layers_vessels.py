"""The fishing-vessels map layer: a pure function of rows (GeoJSON out), and over the database the state
each boat is drawn in (ok, out of zone, silent until it reports again, in port), tracks and zones."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from data.models import Vessel, utcnow
from data.monitoring.vessels import OUT_OF_ZONE, SILENT, check_silent, receive, upsert_zone
from data.reports.filters import ReportFilter
from layers.base import MapView
from layers.registry import by_key
from layers.vessels import LAYER, STATE_STYLE, ZONE_COLOUR, VesselRow, vessel_features
from tests.dbfixtures import open_runtime

ZONE = {"type": "Polygon", "coordinates": [[[107.6, 16.55], [107.9, 16.55], [107.9, 16.75], [107.6, 16.75],
                                            [107.6, 16.55]]]}
AT = datetime(2026, 12, 7, 5, 30)
HUE = ZoneInfo("Asia/Ho_Chi_Minh")


def test_rows_become_points_tracks_and_zones() -> None:
    rows = [VesselRow(1, "TTH-1-TS", "Minh Phát", 16.65, 107.75, AT, 6.5, "ok"),
            VesselRow(2, "TTH-2-TS", None, 16.9, 108.1, AT, None, SILENT)]
    paths = {1: [(16.60, 107.70), (16.65, 107.75)], 2: [(16.9, 108.1)]}  # one point is no line
    data = vessel_features(rows, paths, [("Vùng lộng", ZONE)], "vi", HUE)
    points = {f["properties"]["code"]: f for f in data["vessels"]["features"]}
    assert points["TTH-1-TS"]["geometry"]["coordinates"] == [107.75, 16.65]  # GeoJSON: lon, lat
    assert points["TTH-1-TS"]["properties"]["name"] == "TTH-1-TS Minh Phát"
    assert points["TTH-1-TS"]["properties"]["value"] == "Trong vùng · 6.5 hải lý/giờ · 07/12 12:30"  # 05:30 UTC
    assert points["TTH-2-TS"]["properties"]["color"] == STATE_STYLE[SILENT][0]
    assert "phone" not in str(data)
    (track,) = data["tracks"]["features"]
    assert track["geometry"] == {"type": "LineString", "coordinates": [[107.70, 16.60], [107.75, 16.65]]}
    (zone,) = data["zones"]["features"]
    assert zone["geometry"] == ZONE and zone["properties"] == {"name": "Vùng lộng", "color": ZONE_COLOUR}
    english = vessel_features(rows, {}, [], "en", HUE)["vessels"]["features"]
    assert english[1]["properties"]["value"] == "Silent · 07/12 12:30"


def test_the_layer_draws_each_boat_in_its_state(db_url: str) -> None:
    now = utcnow().replace(microsecond=0)

    def msg(code: str, minutes_ago: int, lat: float, lon: float, **extra: object) -> dict[str, object]:
        return {"vessel": code, "at": (now - timedelta(minutes=minutes_ago)).isoformat(), "lat": lat, "lon": lon,
                **extra}

    with open_runtime(db_url, vessel_silent_after_min=30) as rt:
        with rt.session() as s:
            upsert_zone(s, "VL-1", "Vùng lộng thử", ZONE)
            s.add(Vessel(code="TTH-3-TS", owner_phone="0905999888"))
        receive(rt, [msg("TTH-1-TS", 20, 16.60, 107.70), msg("TTH-1-TS", 10, 16.65, 107.75),
                     msg("TTH-2-TS", 5, 16.95, 108.2),
                     msg("TTH-3-TS", 90, 16.70, 107.80),
                     msg("TTH-4-TS", 240, 16.56, 107.63, nav_status="moored")], now=now)
        check_silent(rt, now=now - timedelta(minutes=1))
        with rt.session() as s:
            data = LAYER.load(s, ReportFilter(), MapView(lang="vi", tz="Asia/Ho_Chi_Minh"))
        states = {f["properties"]["code"]: f["properties"]["state"] for f in data["vessels"]["features"]}
        assert states == {"TTH-1-TS": "ok", "TTH-2-TS": OUT_OF_ZONE, "TTH-3-TS": SILENT, "TTH-4-TS": "in_port"}
        assert [t["properties"]["name"] for t in data["tracks"]["features"]] == ["TTH-1-TS"]
        assert [z["properties"]["name"] for z in data["zones"]["features"]] == ["Vùng lộng thử"]
        assert "0905999888" not in str(data)
        last = {f["properties"]["code"]: f["properties"]["value"] for f in data["vessels"]["features"]}["TTH-2-TS"]
        assert last.endswith(f"{now - timedelta(minutes=5) + timedelta(hours=7):%d/%m %H:%M}")  # Huế's time
        receive(rt, [msg("TTH-3-TS", 0, 16.70, 107.81)], now=now + timedelta(seconds=1))  # heard from again
        with rt.session() as s:
            again = LAYER.load(s, ReportFilter(), MapView(lang="en"))
    states = {f["properties"]["code"]: f["properties"]["state"] for f in again["vessels"]["features"]}
    assert states["TTH-3-TS"] == "ok"  # its silent alert stays open for the operator; the map shows the boat
    ids = [c.id for c in LAYER.component(again, MapView())]
    assert ids == ["map-layer-vessel-zones", "map-layer-vessel-tracks", "map-layer-vessels"]
    assert by_key("vessels") is LAYER
