"""Environment sensors: air stations coloured by the Vietnamese AQI bands (VN_AQI), water gauges by
the flood alarm level their reading has reached (báo động I/II/III)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import MapFeature
from data.monitoring.sensors import alarm_level, aqi_band
from data.reports.filters import ReportFilter
from layers.base import MapView, feature_collection, point_feature

WATER_COLOURS = ("#0d6efd", "#ffc107", "#fd7e14", "#dc3545")  # below alarm I, then alarm I, II, III
UNKNOWN = "#6c757d"


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
    view_fields: tuple[str, ...] = ("lang",)
    live_topic: str | None = "alerts"  # readings have no topic: one past a threshold raises an alert
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
