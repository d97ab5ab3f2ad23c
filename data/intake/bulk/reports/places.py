"""Points located in the city's units over whole arrays: ``geo.locate`` for 100,000 rows at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from data.geo.geometry import UnitShape, polygons


def locate_many(lat: np.ndarray, lon: np.ndarray, wanted: np.ndarray,
                levels: Sequence[Sequence[UnitShape]]) -> np.ndarray:
    """The finest unit id holding each wanted point (NaN elsewhere): ``geo.locate`` over arrays.

    Ray casting per polygon edge over all candidate points at once: thousands of times faster than
    calling ``geo.locate`` per point when a file holds 100,000 reports.
    """
    found = np.full(len(lat), np.nan)
    for level in levels:
        for unit in level:
            min_lon, min_lat, max_lon, max_lat = unit.bbox
            todo = np.flatnonzero(wanted & np.isnan(found) & (lon >= min_lon) & (lon <= max_lon)
                                  & (lat >= min_lat) & (lat <= max_lat))
            if len(todo):
                inside = _contains(unit.geometry, lon[todo], lat[todo])
                found[todo[inside]] = unit.id
    return found


def _contains(geometry: dict[str, Any], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    result = np.zeros(len(x), dtype=bool)
    for exterior, *holes in polygons(geometry):
        inside = _ring_contains(np.asarray(exterior, dtype=float), x, y)
        for hole in holes:
            inside &= ~_ring_contains(np.asarray(hole, dtype=float), x, y)
        result |= inside
    return result


def _ring_contains(ring: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    inside = np.zeros(len(x), dtype=bool)
    x0, y0 = ring[-1, 0], ring[-1, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        for x1, y1 in ring[:, :2]:
            if y0 != y1:  # a horizontal edge never crosses the ray (same test as geo._ring_contains)
                inside ^= ((y1 > y) != (y0 > y)) & (x < (x0 - x1) * (y - y1) / (y0 - y1) + x1)
            x0, y0 = x1, y1
    return inside
