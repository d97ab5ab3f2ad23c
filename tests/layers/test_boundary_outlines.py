"""The boundaries layer sends outlines fit for the zoom: Huế's 40 communes of 2025 at city zoom in a
fraction of their full-resolution bytes, every vertex at street zoom."""

from __future__ import annotations

import json

from data.core.runtime import Runtime
from data.geo import boundaries
from data.geo.simplify import FULL_DETAIL_ZOOM
from data.reports.filters import ReportFilter
from layers.base import MapView
from layers.boundaries import LAYER
from tests.data.geo.units2025 import FILES


def _size(data: dict) -> int:  # type: ignore[type-arg]
    return len(json.dumps(data, separators=(",", ":")).encode())


def test_outlines_shrink_with_the_zoom_and_keep_every_unit(runtime: Runtime) -> None:
    with runtime.session() as session:
        boundaries.import_geojson(session, FILES[0], level="ward", fields=boundaries.FieldMap("code", "fullName"))
    sizes = {}
    with runtime.session() as session:
        for zoom in (11, 13, FULL_DETAIL_ZOOM):
            data = LAYER.load(session, ReportFilter(), MapView(zoom=zoom))
            assert len(data["features"]) == 40
            sizes[zoom] = _size(data)
        full = LAYER.load(session, ReportFilter(), MapView(zoom=FULL_DETAIL_ZOOM))
    print({z: f"{s / 1e6:.2f} MB" for z, s in sizes.items()})
    assert sizes[11] * 15 < sizes[FULL_DETAIL_ZOOM] and sizes[13] * 6 < sizes[FULL_DETAIL_ZOOM]
    assert sizes[11] < sizes[13]
    stored = json.loads(FILES[0].read_text(encoding="utf-8"))["features"]
    by_code = {f["properties"]["code"]: f["geometry"]["coordinates"] for f in stored}
    assert all(f["geometry"]["coordinates"] == by_code[f["properties"]["code"]] for f in full["features"])
    assert "zoom" in LAYER.view_fields  # so the answer cache keeps one outline set per zoom
