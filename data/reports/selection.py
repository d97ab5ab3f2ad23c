"""Areas drawn on the map (polygons, rectangles, circles) and the reports inside them.

The draw control hands over GeoJSON: polygons and rectangles as Polygon features, a circle as a Point
whose properties say ``type: "circle"`` and ``_mRadius`` (metres). The database narrows the reports to
the areas' bounding boxes; the exact test (ray casting, great-circle distance) runs here, on plain
numbers, so it is the same on SQLite and PostgreSQL. Never the reporter's name, phone or e-mail.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from data.core.errors import InvalidInput
from data.geo.boundaries import geometry_error
from data.geo.geometry import BBox, bbox_of, distance_m, point_in_polygon
from data.models import Report, utcnow
from data.reports.filters import ReportFilter
from data.reports.mirror import rows_of
from data.reports.queries import apply_filter, export_rows

METRES_PER_DEGREE_LAT = 111_320.0
MAX_RADIUS_M = 50_000.0  # a circle wider than a province is a slip of the mouse, not a selection


@dataclass(frozen=True)
class Area:
    """A drawn selection: a GeoJSON Polygon, or a circle (centre lat/lon, radius in metres)."""

    polygon: dict[str, Any] | None = None
    centre: tuple[float, float] | None = None
    radius_m: float = 0.0

    def bbox(self) -> BBox:
        """(min_lon, min_lat, max_lon, max_lat): what the database can narrow by with plain comparisons."""
        if self.polygon is not None:
            return bbox_of(self.polygon)
        assert self.centre is not None
        lat, lon = self.centre
        dlat = self.radius_m / METRES_PER_DEGREE_LAT
        dlon = self.radius_m / (METRES_PER_DEGREE_LAT * max(0.01, math.cos(math.radians(lat))))
        return (lon - dlon, lat - dlat, lon + dlon, lat + dlat)

    def contains(self, lat: float, lon: float) -> bool:
        if self.polygon is not None:
            return point_in_polygon(lat, lon, self.polygon)
        assert self.centre is not None
        return distance_m(self.centre[0], self.centre[1], lat, lon) <= self.radius_m


def _circle(feature: dict[str, Any]) -> Area:
    coordinates = (feature.get("geometry") or {}).get("coordinates")
    radius = (feature.get("properties") or {}).get("_mRadius")
    if (not isinstance(coordinates, list) or len(coordinates) < 2
            or not all(isinstance(v, (int, float)) for v in coordinates[:2])):
        raise InvalidInput("Vòng tròn đã vẽ không có tâm hợp lệ.")
    if not isinstance(radius, (int, float)) or not 0 < radius <= MAX_RADIUS_M:
        raise InvalidInput(f"Bán kính vòng tròn phải từ 0 đến {MAX_RADIUS_M / 1000:g} km.")
    return Area(centre=(float(coordinates[1]), float(coordinates[0])), radius_m=float(radius))


def areas_of(drawn: dict[str, Any] | None) -> list[Area]:
    """The polygons and circles of the draw control's GeoJSON; markers and lines select nothing.

    A shape that cannot be a selection (no geometry, a broken ring, a circle without a radius) is an
    ``InvalidInput`` saying so, rather than a selection that silently holds nothing.
    """
    areas = []
    for feature in (drawn or {}).get("features") or []:
        if not isinstance(feature, dict):
            raise InvalidInput("Hình đã vẽ không phải là một đối tượng GeoJSON.")
        kind = (feature.get("properties") or {}).get("type")
        geometry = feature.get("geometry")
        if kind == "circle":
            areas.append(_circle(feature))
        elif isinstance(geometry, dict) and geometry.get("type") in ("Polygon", "MultiPolygon"):
            if error := geometry_error(geometry):
                raise InvalidInput(f"Vùng đã vẽ không hợp lệ: {error}.")
            areas.append(Area(polygon=geometry))
        elif geometry is None:
            raise InvalidInput("Một hình đã vẽ không có hình học (geometry).")
    return areas


def inside_any(areas: Iterable[Area], lat: float | None, lon: float | None) -> bool:
    """True when the point lies in at least one area (a report without a place lies in none)."""
    if lat is None or lon is None:
        return False
    return any(a.contains(lat, lon) for a in areas)


def _boxes(areas: list[Area]) -> Any:
    return or_(*(and_(Report.lon >= w, Report.lon <= e, Report.lat >= s, Report.lat <= n)
                 for w, s, e, n in (a.bbox() for a in areas)))


def _candidates(areas: list[Area]) -> list[Any]:
    """What the database can narrow by: a place, inside the areas' bounding boxes (when there are areas)."""
    placed = [Report.lat.is_not(None), Report.lon.is_not(None)]
    return [*placed, _boxes(areas)] if areas else placed


def count_inside(session: Session, f: ReportFilter, areas: list[Area]) -> int:
    """How many of ``reports_inside`` there are, reading only the candidates' places (on the map copy
    of the reports when the session has one: data/reports/mirror.py)."""
    query = apply_filter(select(Report.lat, Report.lon).where(*_candidates(areas)), f, utcnow())
    return sum(1 for lat, lon in rows_of(session, query, f) if not areas or inside_any(areas, lat, lon))


def reports_inside(session: Session, f: ReportFilter, areas: list[Area]) -> Iterator[dict[str, Any]]:
    """The filtered reports inside the areas (all placed reports when ``areas`` is empty), newest first.

    Rows are the export's, without the sealed reporter columns whatever the viewer's role.
    """
    for row in export_rows(session, f, sealed=False, where=_candidates(areas)):
        if not areas or inside_any(areas, row["lat"], row["lon"]):
            yield row
