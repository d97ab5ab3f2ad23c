"""Alerts that have a place and are still open, as pulsing markers coloured by severity."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Alert
from data.reports.filters import ReportFilter
from layers.base import MapView, feature_collection, point_feature

SEVERITY_COLOURS = {"info": "#0d6efd", "warning": "#fd7e14", "critical": "#dc3545"}
SHOWN = 500  # the newest; an IOC with more open alerts on one map has a bigger problem than drawing


def alert_features(alerts: Iterable[Alert]) -> dict[str, Any]:
    """Open alerts with a place as GeoJSON points (pure: no database)."""
    return feature_collection([
        point_feature(a.lat, a.lon, {"id": a.id, "kind": a.kind, "severity": a.severity, "title": a.title,
                                     "status": a.status, "at": a.created_at.isoformat(),
                                     "color": SEVERITY_COLOURS.get(a.severity, SEVERITY_COLOURS["warning"])})
        for a in alerts
        if a.lat is not None and a.lon is not None and a.status != "closed"
    ])


class AlertsLayer:
    key = "alerts"
    about_reports = False  # alerts change without any report write
    view_fields: tuple[str, ...] = ()
    live_topic: str | None = "alerts"
    name_vi = "Cảnh báo"
    name_en = "Alerts"
    default_on = True

    def load(self, session: Session, filters: ReportFilter, view: MapView) -> dict[str, Any]:
        query = (select(Alert).where(Alert.status != "closed", Alert.lat.is_not(None), Alert.lon.is_not(None))
                 .order_by(Alert.created_at.desc()).limit(SHOWN))
        if filters.since is not None:
            query = query.where(Alert.created_at >= filters.since)
        if filters.until is not None:
            query = query.where(Alert.created_at < filters.until)
        return alert_features(session.scalars(query))

    def component(self, data: dict[str, Any], view: MapView) -> Any:
        import dash_leaflet as dl

        return dl.GeoJSON(data=data, id="map-layer-alerts", pointToLayer={"variable": "iocMap.alertPoint"},
                          onEachFeature={"variable": "iocMap.alertTooltip"})


LAYER = AlertsLayer()
