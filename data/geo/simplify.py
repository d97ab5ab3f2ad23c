"""Outlines for the map: each unit's boundary simplified to what the zoom can show, and rounded.

A Web Mercator tile is 256 px wide and the world 360° wide, so a screen pixel spans
``360 / 256 / 2**zoom`` degrees of longitude (a little less of latitude at 16° N: cos 16° = 0.96).
Douglas–Peucker (``shapely.simplify``, topology preserved) with a tolerance of ``PIXELS`` such pixels
moves no edge by more than about that on screen, and coordinates are rounded to a quarter pixel.
Measured on the 118 units of Huế and Quảng Trị (7.0 MB of GeoJSON at full resolution): 0.77 MB at
zoom 13, 0.28 MB at zoom 11 (bench/boundary_outlines.py).

Why not ``shapely.coverage_simplify``, which keeps the edge two units share identical on both sides:
at the same error on screen it kept twice the bytes, and the gaps plain simplification opens between
neighbours are under a pixel wide, under the 1 px stroke the map draws around every unit.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

from data.geo.geometry import to_shape

PIXELS = 1.0  # simplification tolerance, in screen pixels
FULL_DETAIL_ZOOM = 18  # from here on (a street), every vertex is drawn
POLYGONAL = ("Polygon", "MultiPolygon")


def pixel_deg(zoom: int) -> float:
    """Degrees of longitude one screen pixel spans at a Web Mercator zoom."""
    return 360.0 / 256.0 / 2 ** zoom


def decimals(zoom: int) -> int:
    """Decimal places that keep a quarter of a pixel (5 at city zoom: about a metre)."""
    return max(1, math.ceil(-math.log10(pixel_deg(zoom) / 4)))


def _drawn(shapes: np.ndarray, zoom: int) -> list[dict[str, Any]]:
    simple = shapely.simplify(shapes, pixel_deg(zoom) * PIXELS, preserve_topology=True)
    places = decimals(zoom)
    rounded = shapely.transform(simple, lambda coords: np.round(coords, places))
    return [shapely.geometry.mapping(g) for g in rounded]


def outlines(geometries: Sequence[dict[str, Any]], zoom: int) -> list[dict[str, Any]]:
    """The GeoJSON geometries simplified and rounded for ``zoom`` (unchanged past FULL_DETAIL_ZOOM)."""
    if zoom >= FULL_DETAIL_ZOOM or not geometries:
        return list(geometries)
    return _drawn(np.array([to_shape(g) for g in geometries], dtype=object), zoom)


def _decoded(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except json.JSONDecodeError:  # the same leniency as GEOS's reader below: no outline, no failed map
        return None


def outlines_of_text(texts: Sequence[str | None], zoom: int) -> list[dict[str, Any] | None]:
    """``outlines`` of GeoJSON *texts* as the database stores them (None where a text holds no polygon).

    GEOS reads the text itself: decoding 7 MB of JSON into Python lists, then building shapes from
    them, cost 3 of the layer's 4 seconds for the 118 units of Huế and Quảng Trị.
    """
    if zoom >= FULL_DETAIL_ZOOM:
        decoded = [_decoded(t) for t in texts]
        return [g if isinstance(g, dict) and g.get("type") in POLYGONAL else None for g in decoded]
    shapes = shapely.from_geojson([t or "null" for t in texts], on_invalid="ignore")
    usable = np.array([g is not None and g.geom_type in POLYGONAL and not g.is_empty for g in shapes], dtype=bool)
    found: list[dict[str, Any] | None] = [None] * len(texts)
    for position, outline in zip(np.flatnonzero(usable), _drawn(shapes[usable], zoom), strict=True):
        found[position] = outline
    return found
