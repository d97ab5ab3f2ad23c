"""The map's outlines by zoom: far fewer bytes at city zoom, no edge moved by more than about a pixel."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from data.geo import geometry
from data.geo.simplify import FULL_DETAIL_ZOOM, decimals, outlines, outlines_of_text, pixel_deg
from tests.data.geo.units2025 import units


def _bytes(geometries: list[dict]) -> int:  # type: ignore[type-arg]
    return len(json.dumps(geometries, separators=(",", ":")).encode())


def test_pixels_and_decimals_follow_the_zoom() -> None:
    assert pixel_deg(13) == pytest.approx(360 / 256 / 8192)
    assert [decimals(z) for z in (8, 11, 13, 16)] == [3, 4, 5, 6]


@pytest.mark.parametrize(("zoom", "shrink", "area_change"), [(11, 20, 0.05), (13, 8, 0.02), (15, 3, 0.01)])
def test_outlines_are_smaller_and_stay_within_about_a_pixel(zoom: int, shrink: int, area_change: float) -> None:
    full = [g for _, g in units()]
    simple = outlines(full, zoom)
    before, after = _bytes(full), _bytes(simple)
    print(f"zoom {zoom}: {before / 1e6:.2f} MB → {after / 1e6:.3f} MB ({before / after:.0f}× smaller)")
    assert after * shrink < before
    shapes = np.array([geometry.to_shape(g) for g in full])
    drawn = np.array([geometry.to_shape(g) for g in simple])
    assert not shapely.is_empty(drawn).any()
    # Hausdorff distance in screen pixels: simplification (1 px) plus rounding (a quarter pixel); one
    # unit in six, as it costs the product of the two outlines' vertex counts.
    assert shapely.hausdorff_distance(shapes[::6], drawn[::6]).max() / pixel_deg(zoom) < 2
    # A small island (Cồn Cỏ, 2.3 km²) is a few pixels wide at zoom 11: its outline loses 3.5 % there.
    areas = shapely.area(drawn) / shapely.area(shapes)
    assert np.abs(areas - 1).max() < area_change


def test_street_zoom_draws_every_vertex() -> None:
    full = [g for _, g in units()[:3]]
    assert outlines(full, FULL_DETAIL_ZOOM) == full and outlines([], 12) == []


def test_outlines_of_stored_text_leave_out_what_holds_no_polygon() -> None:
    square = {"type": "Polygon", "coordinates": [[[107.0, 16.0], [107.1, 16.0], [107.1, 16.1], [107.0, 16.0]]]}
    texts = [json.dumps(square), "null", None, '{"type": "Point", "coordinates": [107, 16]}', "{broken"]
    for zoom in (13, FULL_DETAIL_ZOOM):
        found = outlines_of_text(texts, zoom)
        assert found[1:] == [None, None, None, None]
        assert found[0] is not None and found[0]["type"] == "Polygon"
        assert geometry.to_shape(found[0]).area == pytest.approx(0.005, rel=1e-3)
