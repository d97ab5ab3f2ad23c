"""Areas and centroids in metres: the unit projected with pyproj onto an equal-area plane centred on it.

Why Lambert azimuthal equal-area (LAEA) centred on each unit rather than UTM 48N (EPSG:32648):
an equal-area projection keeps areas exact by construction wherever the unit lies, while UTM's scale
grows away from its central meridian (105° E): at Huế (107.6° E) areas come out ≈ 0.1 % large,
and eastern Huế already lies in zone 49. Centred on the unit, LAEA also bends shapes least there, so
the centroid computed on the plane and projected back is the unit's own. Measured on the 118 units
of Huế and Quảng Trị: LAEA and the ellipsoid's geodesic area (``pyproj.Geod``) agree to 2e-8.

pyproj is imported on first use: it adds 0.1–0.2 s to an import here, and only boundary imports measure.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from data.geo.geometry import to_shape, valid_shape

if TYPE_CHECKING:
    from pyproj import Transformer

# Centres are rounded to this many degrees, so the units of one city share a few cached projections;
# area stays exact (equal-area everywhere), and 0.05° moves the centre of projection by 5 km at most.
CENTRE_STEP_DEG = 0.05


@lru_cache(maxsize=64)
def _equal_area(lon0: float, lat0: float) -> tuple[Transformer, Transformer]:
    """(WGS 84 → LAEA plane in metres, and back) centred on (lon0, lat0); cached: building one costs ms."""
    from pyproj import CRS, Transformer

    plane = CRS.from_proj4(f"+proj=laea +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m +no_defs")
    return (Transformer.from_crs("EPSG:4326", plane, always_xy=True),
            Transformer.from_crs(plane, "EPSG:4326", always_xy=True))


def _centre(shape: BaseGeometry) -> tuple[float, float]:
    min_lon, min_lat, max_lon, max_lat = shape.bounds
    return (round((min_lon + max_lon) / 2 / CENTRE_STEP_DEG) * CENTRE_STEP_DEG,
            round((min_lat + max_lat) / 2 / CENTRE_STEP_DEG) * CENTRE_STEP_DEG)


def projected(shape: BaseGeometry) -> tuple[BaseGeometry, Transformer]:
    """The shape on its equal-area plane (metres), and the transformer back to WGS 84."""
    forward, back = _equal_area(*_centre(shape))

    def to_plane(coords: np.ndarray) -> np.ndarray:
        x, y = forward.transform(coords[:, 0], coords[:, 1])
        return np.column_stack((x, y))

    return shapely.transform(shape, to_plane), back


def area_of(shape: BaseGeometry) -> float:
    """Area in m² of a valid shape, holes subtracted."""
    if shape.is_empty:
        return 0.0
    plane, _ = projected(shape)
    return float(plane.area)


def measured(shape: BaseGeometry) -> tuple[float, float, float]:
    """(area in m², centroid lat, centroid lon) of a valid, non-empty shape."""
    plane, back = projected(shape)
    centre = plane.centroid
    lon, lat = back.transform(centre.x, centre.y)
    return float(plane.area), float(lat), float(lon)


def area_and_centroid(geometry: dict[str, Any]) -> tuple[float, float, float]:
    """(area in m², centroid lat, centroid lon) of a GeoJSON Polygon/MultiPolygon (repaired if invalid)."""
    shape = valid_shape(geometry)
    if shape.is_empty:  # a ring of collinear points: no area; the middle of its box stands for it
        min_lon, min_lat, max_lon, max_lat = to_shape(geometry).bounds
        return 0.0, (min_lat + max_lat) / 2, (min_lon + max_lon) / 2
    return measured(shape)
