"""The one interface every map layer implements, and the filter they all understand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from data.cameras.access import EVERYTHING, CameraScope
from data.reports.filters import ReportFilter


@dataclass(frozen=True)
class MapView:
    """What a layer may need to know besides the filter: the zoom decides the density cell size,
    ``shade`` the figure the boundaries are coloured by (``layers.boundaries.MEASURES``), ``tz`` (the
    city's, ``Settings.timezone``) the zone of the times a layer writes for people, ``cameras`` the
    cameras the viewer may see (agency and ward users: the groups granted to them)."""

    zoom: int = 13
    lang: str = "vi"
    shade: str = "open"
    tz: str = "Asia/Ho_Chi_Minh"
    cameras: CameraScope = EVERYTHING


class Layer(Protocol):
    """A map layer: ``load`` asks the database (plain data out), ``component`` draws it."""

    key: str
    name_vi: str
    name_en: str
    default_on: bool
    # True when ``load`` counts reports only: its answer is cached until the next report write
    # (data/core/cache.py). Live layers (cameras) and ones fed by other tables say False.
    about_reports: bool
    # The MapView fields ``load`` reads: with the filter they key its cached answer, so a change of
    # language does not recount the density (density and the boundaries' outlines read the zoom).
    view_fields: tuple[str, ...]
    # The bus topic whose messages change what ``load`` answers (data/core/bus.py), or None for a layer
    # nothing refreshes: the map redraws every layer that names one when its topic is heard, and the web
    # forwards every such topic to the screens (dashboard/pages/map/live.py, dashboard/api/live.py).
    live_topic: str | None

    def load(self, session: Session, filters: ReportFilter, view: MapView) -> Any: ...

    def component(self, data: Any, view: MapView) -> Any: ...


def feature_collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def point_feature(lat: float, lon: float, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": properties}
