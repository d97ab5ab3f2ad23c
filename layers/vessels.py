"""Fishing vessels: each boat's last position coloured by its state (ok, out of zone, silent, in port),
its recent track as a line, and the allowed fishing zones. Never the owner's phone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.core.sla import to_local
from data.models import Vessel, utcnow
from data.monitoring.vessels import OUT_OF_ZONE, SILENT, Track, load_zones, silenced, tracks, vessel_state
from data.reports.filters import ReportFilter
from layers.base import MapView, feature_collection, point_feature

TRACK_HOURS = 6  # enough to see where a boat came from; a day of tracks would hide the boats
SHOWN = 2000  # a province's registered offshore fleet is a few thousand boats
STATE_STYLE = {  # state -> colour, Vietnamese and English label
    "ok": ("#198754", "Trong vùng", "In zone"),
    OUT_OF_ZONE: ("#fd7e14", "Ngoài vùng cho phép", "Out of zone"),
    SILENT: ("#dc3545", "Mất tín hiệu", "Silent"),
    "in_port": ("#6c757d", "Trong cảng", "In port"),
}
ZONE_COLOUR = "#20c997"


@dataclass(frozen=True)
class VesselRow:
    """What the map shows of one vessel (no owner, no phone)."""

    id: int
    code: str
    name: str | None
    lat: float
    lon: float
    at: datetime
    speed_kn: float | None
    state: str


def _label(row: VesselRow, en: bool, tz: tzinfo) -> str:
    colour_label = STATE_STYLE[row.state][2 if en else 1]
    speed = f" · {row.speed_kn:g} {'kn' if en else 'hải lý/giờ'}" if row.speed_kn is not None else ""
    return f"{colour_label}{speed} · {to_local(row.at, tz):%d/%m %H:%M}"


def vessel_features(rows: Iterable[VesselRow], paths: Mapping[int, Track], zones: Iterable[tuple[str, dict[str, Any]]],
                    lang: str, tz: tzinfo) -> dict[str, Any]:
    """Vessels, their tracks and the zones as three GeoJSON collections (pure: no database); times in ``tz``."""
    en = lang == "en"
    rows = list(rows)
    points = [point_feature(r.lat, r.lon, {"id": r.id, "code": r.code, "name": f"{r.code} {r.name or ''}".strip(),
                                           "state": r.state, "color": STATE_STYLE[r.state][0],
                                           "value": _label(r, en, tz)})
              for r in rows]
    lines = [{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[lon, lat] for lat, lon in path]},
              "properties": {"id": r.id, "name": r.code, "color": STATE_STYLE[r.state][0]}}
             for r in rows if len(path := paths.get(r.id, [])) >= 2]
    areas = [{"type": "Feature", "geometry": geometry, "properties": {"name": name, "color": ZONE_COLOUR}}
             for name, geometry in zones]
    return {"vessels": feature_collection(points), "tracks": feature_collection(lines),
            "zones": feature_collection(areas)}


def vessel_rows(session: Session) -> list[VesselRow]:
    """Every vessel with a position, newest report first, with its state."""
    flagged = silenced(session)
    vessels = session.scalars(select(Vessel).where(Vessel.last_at.is_not(None))
                              .order_by(Vessel.last_at.desc()).limit(SHOWN))
    rows = []
    for v in vessels:
        if v.last_at is None or v.last_lat is None or v.last_lon is None:
            continue  # the query asks for a time; a row with a time but no place is not drawable
        silent = v.code in flagged and v.last_at <= flagged[v.code]
        rows.append(VesselRow(v.id, v.code, v.name, v.last_lat, v.last_lon, v.last_at, v.last_speed_kn,
                              vessel_state(v.last_in_zone, v.nav_status, silent)))
    return rows


class VesselsLayer:
    key = "vessels"
    about_reports = False  # positions arrive without any report write
    view_fields: tuple[str, ...] = ("lang", "tz")
    live_topic: str | None = "vessels"
    name_vi = "Tàu cá"
    name_en = "Fishing vessels"
    default_on = True

    def load(self, session: Session, filters: ReportFilter, view: MapView) -> dict[str, Any]:
        rows = vessel_rows(session)
        paths = tracks(session, utcnow() - timedelta(hours=TRACK_HOURS), [r.id for r in rows])
        zones = [(z.name, z.shape.geometry) for z in load_zones(session)]
        return vessel_features(rows, paths, zones, view.lang, ZoneInfo(view.tz))

    def component(self, data: dict[str, Any], view: MapView) -> Any:
        import dash_leaflet as dl

        # The sensors' and areas' styling functions fit as they are: a coloured dot with "name / value"
        # on hover, a shaded area with its name.
        return [
            dl.GeoJSON(data=data["zones"], id="map-layer-vessel-zones", style={"variable": "iocMap.areaStyle"},
                       onEachFeature={"variable": "iocMap.nameTooltip"}),
            dl.GeoJSON(data=data["tracks"], id="map-layer-vessel-tracks", style={"variable": "iocMap.areaStyle"},
                       onEachFeature={"variable": "iocMap.nameTooltip"}),
            dl.GeoJSON(data=data["vessels"], id="map-layer-vessels", pointToLayer={"variable": "iocMap.sensorPoint"},
                       onEachFeature={"variable": "iocMap.sensorTooltip"}),
        ]


LAYER = VesselsLayer()
