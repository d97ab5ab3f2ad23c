"""Points of interest (schools, health, wifi, markets, tourist sites)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import MapFeature
from data.reports.filters import ReportFilter
from layers.base import MapView, feature_collection, point_feature

KIND_COLOURS = {"school": "#6f42c1", "health": "#d63384", "wifi": "#0dcaf0", "market": "#ffc107",
                "tourism": "#20c997", "air": "#6610f2", "water": "#0d6efd"}


class PoisLayer:
    key = "pois"
    about_reports = False
    view_fields: tuple[str, ...] = ()
    live_topic: str | None = None  # no topic announces a new place
    name_vi = "Điểm quan tâm"
    name_en = "Points of interest"
    default_on = False

    def load(self, session: Session, filters: ReportFilter, view: MapView) -> dict[str, Any]:
        rows = session.execute(select(MapFeature.id, MapFeature.kind, MapFeature.name, MapFeature.lat,
                                      MapFeature.lon, MapFeature.layer)
                               .where(MapFeature.layer != "sensor")).all()  # sensors: layers/sensors.py
        return feature_collection([
            point_feature(r.lat, r.lon, {"id": r.id, "name": r.name, "kind": r.kind, "layer": r.layer,
                                         "color": KIND_COLOURS.get(r.kind, "#343a40")})
            for r in rows
        ])

    def component(self, data: dict[str, Any], view: MapView) -> Any:
        import dash_leaflet as dl

        return dl.GeoJSON(data=data, id="map-layer-pois",
                          pointToLayer={"variable": "iocMap.poiPoint"},
                          onEachFeature={"variable": "iocMap.nameTooltip"})


LAYER = PoisLayer()
