"""Geometry: pure functions of GeoJSON Polygon / MultiPolygon dictionaries (no database, no pandas).

Plain Python (ray casting with a bounding-box prefilter): boundaries of a city are a few dozen polygons
of a few hundred vertices, so a geometry library would buy nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# WGS 84: local radii of curvature make the small-area projection below match geodesic areas.
WGS84_A = 6_378_137.0


WGS84_E2 = 0.006_694_379_990_14


_DEG = math.pi / 180


Position = Sequence[float]  # GeoJSON order: (lon, lat)


Ring = Sequence[Position]


BBox = tuple[float, float, float, float]  # (min_lon, min_lat, max_lon, max_lat)


def polygons(geometry: dict[str, Any]) -> list[list[Ring]]:
    """The polygons of a Polygon or MultiPolygon, each as [exterior ring, *holes]."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    return list(geometry["coordinates"])


def bbox_of(geometry: dict[str, Any]) -> BBox:
    """(min_lon, min_lat, max_lon, max_lat) of the exterior rings (holes lie inside them)."""
    lons = [p[0] for poly in polygons(geometry) for p in poly[0]]
    lats = [p[1] for poly in polygons(geometry) for p in poly[0]]
    return (min(lons), min(lats), max(lons), max(lats))


def _ring_contains(ring: Ring, x: float, y: float) -> bool:
    # Ray casting towards +x; the ring may or may not repeat its first vertex at the end.
    inside = False
    x0, y0 = ring[-1][0], ring[-1][1]
    for point in ring:
        x1, y1 = point[0], point[1]
        if (y1 > y) != (y0 > y) and x < (x0 - x1) * (y - y1) / (y0 - y1) + x1:
            inside = not inside
        x0, y0 = x1, y1
    return inside


def point_in_polygon(lat: float, lon: float, geometry: dict[str, Any]) -> bool:
    """True when (lat, lon) lies inside the Polygon/MultiPolygon and outside its holes."""
    for exterior, *holes in polygons(geometry):
        if _ring_contains(exterior, lon, lat) and not any(_ring_contains(h, lon, lat) for h in holes):
            return True
    return False


@dataclass(frozen=True)
class UnitShape:
    """What ``locate`` needs of a unit: its id, its bounding box and its boundary."""

    id: int
    bbox: BBox
    geometry: dict[str, Any]

    @classmethod
    def of(cls, unit_id: int, geometry: dict[str, Any]) -> UnitShape:
        return cls(unit_id, bbox_of(geometry), geometry)


def locate(lat: float, lon: float, units: Iterable[UnitShape]) -> int | None:
    """The id of the first unit whose boundary holds the point, or None (pass units of one level)."""
    for unit in units:
        min_lon, min_lat, max_lon, max_lat = unit.bbox
        inside_box = min_lon <= lon <= max_lon and min_lat <= lat <= max_lat
        if inside_box and point_in_polygon(lat, lon, unit.geometry):
            return unit.id
    return None


def _ring_moments(ring: Ring, lon0: float, lat0: float, kx: float, ky: float) -> tuple[float, float, float]:
    """Signed area and first moments (shoelace) of a ring projected to metres around (lon0, lat0)."""
    area = mx = my = 0.0
    xa, ya = (ring[-1][0] - lon0) * kx, (ring[-1][1] - lat0) * ky
    for point in ring:
        xb, yb = (point[0] - lon0) * kx, (point[1] - lat0) * ky
        cross = xa * yb - xb * ya
        area += cross
        mx += (xa + xb) * cross
        my += (ya + yb) * cross
        xa, ya = xb, yb
    return area / 2, mx / 6, my / 6


def _metres_per_degree(lat: float) -> tuple[float, float]:
    """(east-west, north-south) metres per degree of longitude and latitude at ``lat``."""
    w = 1 - WGS84_E2 * math.sin(lat * _DEG) ** 2
    meridian = WGS84_A * (1 - WGS84_E2) / w**1.5
    normal = WGS84_A / math.sqrt(w)
    return normal * math.cos(lat * _DEG) * _DEG, meridian * _DEG


def area_and_centroid(geometry: dict[str, Any]) -> tuple[float, float, float]:
    """(area in m², centroid lat, centroid lon), holes subtracted.

    A local projection around the unit's middle (metres per degree from the WGS 84 radii of
    curvature there) matches the census areas of Huế's wards to 0.01 %: all a dashboard needs.
    """
    min_lon, min_lat, max_lon, max_lat = bbox_of(geometry)
    lon0, lat0 = (min_lon + max_lon) / 2, (min_lat + max_lat) / 2
    kx, ky = _metres_per_degree(lat0)
    total = mx = my = 0.0
    for exterior, *holes in polygons(geometry):
        for index, ring in enumerate((exterior, *holes)):
            a, x, y = _ring_moments(ring, lon0, lat0, kx, ky)
            # Rings may wind either way: count the exterior as positive and holes as negative.
            sign = (1.0 if index == 0 else -1.0) * (1.0 if a >= 0 else -1.0)
            total += sign * a
            mx += sign * x
            my += sign * y
    if total <= 0:
        return 0.0, lat0, lon0
    return total, lat0 + my / total / ky, lon0 + mx / total / kx


EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG): haversine error < 0.5 % at city distances


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two (lat, lon) points (haversine)."""
    p1, p2 = lat1 * _DEG, lat2 * _DEG
    dp, dl = (lat2 - lat1) * _DEG, (lon2 - lon1) * _DEG
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
