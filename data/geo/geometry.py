"""Geometry of GeoJSON Polygon / MultiPolygon dictionaries, on shapely 2 (GEOS): shapes, boxes, point
in polygon, distances. No database, no pandas.

Where a point on a unit's edge belongs: to the units whose *closed* boundary covers it (GEOS
``intersects``: interior or edge), and when two units share that edge, to the one with the lowest id.
``locate`` and ``UnitIndex`` (``data.geo.locating``) apply this one rule, and so does PostGIS
(``data.geo.postgis``), so a report on a shared border gets exactly one unit, the same everywhere.

Areas and centroids in metres live in ``data.geo.measure`` (pyproj, imported when first needed).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import shape as _shape
from shapely.geometry.base import BaseGeometry

Position = Sequence[float]  # GeoJSON order: (lon, lat)


Ring = Sequence[Position]


BBox = tuple[float, float, float, float]  # (min_lon, min_lat, max_lon, max_lat)


_DEG = math.pi / 180


EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG): haversine error < 0.5 % at city distances


def to_shape(geometry: dict[str, Any]) -> BaseGeometry:
    """A GeoJSON geometry as a shapely one (an unclosed ring is closed); invalid shapes stay as given."""
    return _shape(geometry)


def polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """Only the polygons of a geometry (``make_valid`` may add lines or points where a ring touched itself)."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [p for p in shapely.get_parts(geometry) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.MultiPolygon()


def valid_shape(geometry: dict[str, Any]) -> BaseGeometry:
    """The shape, repaired with ``make_valid`` when GEOS finds it invalid (PostGIS does the same on its side)."""
    found = to_shape(geometry)
    return found if found.is_valid else polygonal(shapely.make_valid(found))


def to_geojson(geometry: BaseGeometry) -> dict[str, Any]:
    """A shapely Polygon/MultiPolygon as a GeoJSON dictionary of [lon, lat] lists."""
    mapped = shapely.geometry.mapping(geometry)
    if mapped["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": [[list(p) for p in ring] for ring in mapped["coordinates"]]}
    return {"type": "MultiPolygon",
            "coordinates": [[[list(p) for p in ring] for ring in poly] for poly in mapped["coordinates"]]}


def bbox_of(geometry: dict[str, Any]) -> BBox:
    """(min_lon, min_lat, max_lon, max_lat) of a GeoJSON geometry."""
    min_lon, min_lat, max_lon, max_lat = to_shape(geometry).bounds
    return (min_lon, min_lat, max_lon, max_lat)


def point_in_polygon(lat: float, lon: float, geometry: dict[str, Any]) -> bool:
    """True when (lat, lon) lies inside the Polygon/MultiPolygon or on its edge, and not in a hole."""
    return bool(shapely.intersects_xy(valid_shape(geometry), lon, lat))


@dataclass(frozen=True)
class UnitShape:
    """What locating needs of a unit: its id, its bounding box, its boundary (GeoJSON) and its shape
    (shapely, valid, prepared for repeated point tests)."""

    id: int
    bbox: BBox
    geometry: dict[str, Any]
    shape: BaseGeometry = field(compare=False, repr=False)

    @classmethod
    def of(cls, unit_id: int, geometry: dict[str, Any]) -> UnitShape:
        found = valid_shape(geometry)
        shapely.prepare(found)  # GEOS indexes the edges once: each later point test is O(log n)
        min_lon, min_lat, max_lon, max_lat = found.bounds
        return cls(unit_id, (min_lon, min_lat, max_lon, max_lat), geometry, found)

    def holds(self, lat: float, lon: float) -> bool:
        """True when the point lies inside the unit or on its edge (the prepared shape: microseconds)."""
        return bool(shapely.intersects_xy(self.shape, lon, lat))


def locate(lat: float, lon: float, units: Iterable[UnitShape]) -> int | None:
    """The id of the unit whose boundary holds the point (lowest id on a shared border), or None.

    Pass the units of one level; for many points, or many calls on the same units, build a
    ``data.geo.locating.UnitIndex`` once.
    """
    found: int | None = None
    for unit in units:
        min_lon, min_lat, max_lon, max_lat = unit.bbox
        if found is not None and unit.id >= found:
            continue
        if min_lon <= lon <= max_lon and min_lat <= lat <= max_lat and shapely.intersects_xy(unit.shape, lon, lat):
            found = unit.id
    return found


def area_and_centroid(geometry: dict[str, Any]) -> tuple[float, float, float]:
    """(area in m², centroid lat, centroid lon): see ``data.geo.measure`` (pyproj is imported there, lazily)."""
    from data.geo.measure import area_and_centroid as measured

    return measured(geometry)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two (lat, lon) points (haversine).

    Kept by hand on purpose: it is called per report and camera in loops, where four trig calls
    beat a pyproj ``Geod`` call, and half a percent is more than a city needs.
    """
    p1, p2 = lat1 * _DEG, lat2 * _DEG
    dp, dl = (lat2 - lat1) * _DEG, (lon2 - lon1) * _DEG
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
