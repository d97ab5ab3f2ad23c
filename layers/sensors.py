"""Environment sensors: air stations coloured by the Vietnamese AQI bands (VN_AQI), water gauges by
the flood alarm level their reading has reached (báo động I/II/III)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import MapFeature
from data.queries import ReportFilter
from layers.base import MapView, feature_collection, point_feature

# VN_AQI (Decision 1459/QĐ-TCMT): upper bound, colour, Vietnamese and English label.
AQI_BANDS = (
    (50, "#00e400", "Tốt", "Good"),
    (100, "#ffff00", "Trung bình", "Moderate"),
    (150, "#ff7e00", "Kém", "Poor"),
    (200, "#ff0000", "Xấu", "Bad"),
    (300, "#8f3f97", "Rất xấu", "Very bad"),
    (10_000, "#7e0023", "Nguy hại", "Hazardous"),
)
WATER_COLOURS = ("#0d6efd", "#ffc107", "#fd7e14", "#dc3545")  # below alarm I, then alarm I, II, III
UNKNOWN = "#6c757d"


def aqi_band(aqi: float) -> tuple[str, str, str]:
    """Colour and labels (vi, en) of an AQI value."""
    for top, colour, vi, en in AQI_BANDS:
        if aqi <= top:
            return colour, vi, en
    raise AssertionError("the last band has no upper bound")


def alarm_level(level_m: float, alarms: list[float]) -> int:
    """0 below the first alarm level, else the highest alarm (1–3) the reading has reached."""
    return sum(1 for alarm in sorted(alarms) if level_m >= alarm)


def sensor_properties(kind: str, properties: dict[str, Any], lang: str) -> dict[str, Any]:
    """What the map shows of one sensor's latest reading (pure)."""
    en = lang == "en"
    if kind == "air" and properties.get("aqi") is not None:
        colour, vi, english = aqi_band(float(properties["aqi"]))
        return {"color": colour, "value": f"AQI {properties['aqi']:g} – {english if en else vi}"}
    if kind == "water" and properties.get("water_level_m") is not None:
        level = alarm_level(float(properties["water_level_m"]), list(properties.get("alarm_levels") or []))
        label = (f"alarm {'I' * level}" if en else f"báo động {'I' * level}") if level else ("normal" if en else
                                                                                           "bình thường")
        return {"color": WATER_COLOURS[min(level, 3)], "value": f"{properties['water_level_m']:g} m – {label}"}
    return {"color": UNKNOWN, "value": "no reading" if en else "chưa có số liệu"}


class SensorsLayer:
    key = "sensors"
    about_reports = False
    name_vi = "Quan trắc môi trường"
    name_en = "Environment sensors"
    default_on = True

    def load(self, session: Session, filters: ReportFilter, view: MapView) -> dict[str, Any]:
        rows = session.execute(select(MapFeature.id, MapFeature.kind, MapFeature.name, MapFeature.lat,
                                      MapFeature.lon, MapFeature.properties)
                               .where(MapFeature.layer == "sensor")).all()
        return feature_collection([
            point_feature(r.lat, r.lon, {"id": r.id, "name": r.name, "kind": r.kind,
                                         **sensor_properties(r.kind, r.properties or {}, view.lang)})
            for r in rows
        ])

    def component(self, data: dict[str, Any], view: MapView) -> Any:
        import dash_leaflet as dl

        return dl.GeoJSON(data=data, id="map-layer-sensors", pointToLayer={"variable": "iocMap.sensorPoint"},
                          onEachFeature={"variable": "iocMap.sensorTooltip"})


LAYER = SensorsLayer()
