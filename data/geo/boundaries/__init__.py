"""Administrative boundaries: read any GeoJSON, check it, locate points, import into ``admin_units``.

CLI (the database comes from the settings, ``IOC_DATABASE_URL``)::

    python -m data.geo import FILE --level ward --code-field GID_3 --name-field NAME_3 \\
        [--population-field pop_total_2019 --population-year 2019 --area-field area_sqm \\
         --parent-code-field GID_2 --parent-level district --source "GADM 4.1" --demo]
    python -m data.geo population CSV --level ward --code-field ward_id --population-field total \\
        [--year 2019]

Geometry is shapely 2 (``data.geo.geometry``): a self-intersecting ring is repaired with ``make_valid``
when that changes the unit's area by at most 1 %, and refused otherwise (``data.geo.validity``);
areas are measured on an equal-area projection with pyproj (``data.geo.measure``).

Where things live: ``reading`` (a file read, checked and measured: pure but for the file) and
``storing`` (the units upserted, and read back as shapes).
"""

from __future__ import annotations

from data.geo.boundaries.reading import (
    FieldMap,
    GeoFileError,
    ParseResult,
    Problem,
    UnitRecord,
    check_collection,
    geometry_error,
    parse_units,
    read_collection,
)
from data.geo.boundaries.storing import LEVELS, ImportReport, import_geojson, unit_shapes, upsert_units

__all__ = [
    "LEVELS",
    "FieldMap",
    "GeoFileError",
    "ImportReport",
    "ParseResult",
    "Problem",
    "UnitRecord",
    "check_collection",
    "geometry_error",
    "import_geojson",
    "parse_units",
    "read_collection",
    "unit_shapes",
    "upsert_units",
]
