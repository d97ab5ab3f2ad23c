"""``UnitIndex``: which unit holds each point, for one point or a million, on shapely 2.

    index = UnitIndex.build(units)          # UnitShape, or (id, GeoJSON geometry) pairs, of ONE level
    index.locate(lat, lon)                  # -> unit id, or None
    index.locate_many(lats, lons)           # -> int64 array of unit ids, NO_UNIT (-1) where none

The rule on borders is ``data.geo.geometry``'s: a point on a unit's edge is in it, and a point on an
edge two units share goes to the lower id, so every point gets exactly one unit, the same one on
every run and in PostGIS (``data.geo.postgis``).

How the many points are located, and why not ``STRtree.query(points, predicate="within")``: the tree
evaluates each (point, polygon) pair on the *unprepared* polygon, which walks every edge: 33–50×
slower than this index on the 118 units of Huế and Quảng Trị, slower even than the ray casting it
replaces. Instead each unit, prepared once (GEOS indexes its edges), tests only the points of its
bounding box, found by a binary search over the points sorted by longitude, with
``shapely.intersects_xy`` on raw coordinates (no Point objects are made): see bench/point_location.py.
The STRtree answers the one-point question, where its box search is all that is needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from data.geo.geometry import BBox, UnitShape

NO_UNIT = -1


@dataclass(frozen=True)
class UnitIndex:
    """The units of one level, ordered by id, with their prepared shapes, boxes and an STRtree."""

    units: tuple[UnitShape, ...]
    ids: np.ndarray  # int64, ascending
    bounds: np.ndarray  # (n, 4): min_lon, min_lat, max_lon, max_lat
    tree: shapely.STRtree

    @classmethod
    def build(cls, units: Iterable[UnitShape | tuple[int, dict[str, Any]]]) -> UnitIndex:
        """The index of these units (``UnitShape``s, or ``(id, geometry)`` pairs); ids must be unique."""
        shapes = sorted((u if isinstance(u, UnitShape) else UnitShape.of(*u) for u in units), key=lambda u: u.id)
        ids = np.array([u.id for u in shapes], dtype=np.int64)
        if len(np.unique(ids)) != len(ids):
            raise ValueError("UnitIndex.build: two units share an id")
        bounds = np.array([u.bbox for u in shapes], dtype=float).reshape(-1, 4)
        return cls(tuple(shapes), ids, bounds, shapely.STRtree([u.shape for u in shapes]))

    @property
    def bbox(self) -> BBox | None:
        """The box around every unit, or None when the index is empty."""
        if not self.units:
            return None
        return (float(self.bounds[:, 0].min()), float(self.bounds[:, 1].min()),
                float(self.bounds[:, 2].max()), float(self.bounds[:, 3].max()))

    def locate(self, lat: float, lon: float) -> int | None:
        """The id of the unit holding the point (the lowest id on a shared border), or None."""
        for i in np.sort(self.tree.query(shapely.Point(lon, lat))):  # boxes holding the point, by id
            if shapely.intersects_xy(self.units[i].shape, lon, lat):
                return int(self.ids[i])
        return None

    def locate_many(self, lats: Any, lons: Any) -> np.ndarray:
        """Unit ids (int64) for arrays of points; ``NO_UNIT`` where no unit holds one (or it is NaN)."""
        lat = np.asarray(lats, dtype=float)
        lon = np.asarray(lons, dtype=float)
        found = np.full(len(lat), NO_UNIT, dtype=np.int64)
        order = np.argsort(lon)  # NaN sorts last, and no box ever holds it
        sorted_lon, sorted_lat = lon[order], lat[order]
        # Units in ascending id: a point already given to a unit is never tested again, so the lower id
        # wins on a shared border, and each point is tested by as few units as possible.
        for unit, (min_lon, min_lat, max_lon, max_lat), unit_id in zip(self.units, self.bounds, self.ids,
                                                                       strict=True):
            start = int(np.searchsorted(sorted_lon, min_lon, side="left"))
            stop = int(np.searchsorted(sorted_lon, max_lon, side="right"))
            rows = order[start:stop]
            rows = rows[(sorted_lat[start:stop] >= min_lat) & (sorted_lat[start:stop] <= max_lat)
                        & (found[rows] == NO_UNIT)]
            if len(rows):
                found[rows[shapely.intersects_xy(unit.shape, lon[rows], lat[rows])]] = unit_id
        return found
