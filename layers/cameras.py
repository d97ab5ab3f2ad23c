"""Cameras as points coloured by live state; the stream URL never leaves the server."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from data.cameras.listing import camera_rows
from data.reports.filters import ReportFilter
from layers.base import MapView, feature_collection, point_feature

STATE_COLOURS = {"online": "#198754", "stale": "#fd7e14", "offline": "#dc3545", "unknown": "#6c757d"}


def camera_features(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return feature_collection([
        point_feature(r["lat"], r["lon"], {"id": r["id"], "name": r["name"], "state": r["state"],
                                           "group": r["group"], "color": STATE_COLOURS[r["state"]]})
        for r in rows if r["lat"] is not None and r["lon"] is not None
    ])


class CamerasLayer:
    key = "cameras"
    about_reports = False
    view_fields: tuple[str, ...] = ()
    live_topic: str | None = "cameras"
    name_vi = "Camera"
    name_en = "Cameras"
    default_on = True

    def load(self, session: Session, filters: ReportFilter, view: MapView) -> dict[str, Any]:
        return camera_features(camera_rows(session, scope=view.cameras))

    def component(self, data: dict[str, Any], view: MapView) -> Any:
        import dash_leaflet as dl

        return dl.GeoJSON(data=data, id="map-layer-cameras",
                          pointToLayer={"variable": "iocMap.cameraPoint"},
                          onEachFeature={"variable": "iocMap.cameraPopup"})


LAYER = CamerasLayer()
