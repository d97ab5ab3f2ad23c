"""Administrative boundaries, shaded by open reports (the finest level the database holds)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import OPEN_STATUSES, AdminUnit, Report, utcnow
from data.queries import ReportFilter, apply_filter
from layers.base import MapView, feature_collection

SHADES = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
LEVELS = ("ward", "district", "province")


def shade(value: float, top: float) -> str:
    if top <= 0:
        return SHADES[0]
    return SHADES[min(len(SHADES) - 1, int(value / top * (len(SHADES) - 1) + 0.5))]


def boundary_features(units: list[dict[str, Any]], open_counts: dict[int, int]) -> dict[str, Any]:
    """Units with geometry → GeoJSON with open reports, per-1,000-residents rate and a shade."""
    rates = {}
    for u in units:
        pop = u["population"]
        rates[u["id"]] = 1000 * open_counts.get(u["id"], 0) / pop if pop else 0.0
    top = max(open_counts.values(), default=0)
    features = []
    for u in units:
        count = open_counts.get(u["id"], 0)
        features.append({
            "type": "Feature", "geometry": u["boundary"],
            "properties": {"id": u["id"], "code": u["code"], "name": u["name"], "open": count,
                           "population": u["population"], "per_1000": round(rates[u["id"]], 2),
                           "color": shade(count, top)},
        })
    return feature_collection(features)


class BoundariesLayer:
    key = "boundaries"
    about_reports = True
    name_vi = "Ranh giới hành chính"
    name_en = "Administrative boundaries"
    default_on = True

    def load(self, session: Session, filters: ReportFilter, view: MapView) -> dict[str, Any]:
        level = next((lv for lv in LEVELS if session.scalar(
            select(func.count(AdminUnit.id)).where(AdminUnit.level == lv, AdminUnit.boundary.is_not(None))
        )), None)
        if level is None:
            return feature_collection([])
        units = [dict(r) for r in session.execute(
            select(AdminUnit.id, AdminUnit.code, AdminUnit.name, AdminUnit.population, AdminUnit.boundary)
            .where(AdminUnit.level == level, AdminUnit.boundary.is_not(None))).mappings()]
        counts = session.execute(apply_filter(
            select(Report.admin_unit_id, func.count(Report.id))
            .where(Report.status.in_([s.value for s in OPEN_STATUSES])), filters, utcnow())
            .group_by(Report.admin_unit_id)).all()
        return boundary_features(units, {uid: n for uid, n in counts if uid is not None})

    def component(self, data: dict[str, Any], view: MapView) -> Any:
        import dash_leaflet as dl

        return dl.GeoJSON(data=data, id="map-layer-boundaries",
                          style={"variable": "iocMap.areaStyle"},
                          onEachFeature={"variable": "iocMap.areaTooltip"})


LAYER = BoundariesLayer()
