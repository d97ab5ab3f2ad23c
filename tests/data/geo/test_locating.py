"""Locating points with shapely (``UnitIndex``, ``geometry.locate``, the bulk import's ``locate_many``):
the border rule (exactly one unit, the lowest id), holes, NaN, and one point against a million."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import shapely

from data.geo import geometry
from data.geo.locating import NO_UNIT, UnitIndex
from data.intake.bulk.reports import locate_many
from tests.data.geo.units2025 import shared_vertices, units


def _square(x0: float, y0: float, size: float = 1.0) -> dict[str, Any]:
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


# Four unit squares meeting at (1, 1); ids deliberately not in the order of the list.
GRID = [(7, _square(0, 0)), (3, _square(1, 0)), (9, _square(0, 1)), (5, _square(1, 1))]


@pytest.mark.parametrize("order", [GRID, GRID[::-1]])
def test_a_point_on_a_shared_border_gets_exactly_the_lowest_id(order: list[tuple[int, dict[str, Any]]]) -> None:
    index = UnitIndex.build(order)
    points = {  # (lat, lon): expected
        (0.5, 0.5): 7, (0.5, 1.5): 3, (1.5, 0.5): 9, (1.5, 1.5): 5,  # interiors
        (0.5, 1.0): 3,  # the edge of 7 and 3
        (1.0, 0.5): 7,  # the edge of 7 and 9
        (1.5, 1.0): 5,  # the edge of 9 and 5
        (1.0, 1.0): 3,  # the corner of all four
        (0.0, 0.0): 7,  # an outer corner belongs to its only unit
        (2.5, 0.5): None, (float("nan"), 0.5): None,
    }
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    expected = list(points.values())
    assert [index.locate(lat, lon) for lat, lon in points] == expected
    assert [geometry.locate(lat, lon, index.units) for lat, lon in points] == expected
    assert [None if i == NO_UNIT else int(i) for i in index.locate_many(lats, lons)] == expected


def test_holes_and_the_bulk_import_levels() -> None:
    ring = _square(0, 0, 10)["coordinates"][0]
    with_hole = {"type": "Polygon", "coordinates": [ring, _square(4, 4, 2)["coordinates"][0]]}
    island = _square(4.5, 4.5)  # a unit inside the hole
    index = UnitIndex.build([(1, with_hole), (2, island)])
    assert index.locate(1, 1) == 1 and index.locate(5, 5) == 2 and index.locate(4.2, 4.2) is None
    assert index.locate(4, 5) == 1  # the hole's edge is the unit's edge
    # The bulk import: finest level first, a point in no ward is looked for in the district.
    wards = [geometry.UnitShape.of(2, island)]
    districts = [geometry.UnitShape.of(1, with_hole), geometry.UnitShape.of(8, _square(20, 20))]
    lat, lon = np.array([5.0, 1.0, 4.2, 50.0]), np.array([5.0, 1.0, 4.2, 50.0])
    found = locate_many(lat, lon, np.array([True, True, True, True]), (wards, districts))
    assert [None if np.isnan(f) else int(f) for f in found] == [2, 1, None, None]
    skipped = locate_many(lat, lon, np.array([False, True, False, False]), (wards, districts))
    assert np.isnan(skipped[0]) and skipped[1] == 1


def test_an_index_refuses_two_units_with_one_id() -> None:
    with pytest.raises(ValueError, match="share an id"):
        UnitIndex.build([(1, _square(0, 0)), (1, _square(5, 5))])
    assert UnitIndex.build([]).locate(1, 1) is None and UnitIndex.build([]).bbox is None


def test_the_2025_units_one_point_and_many_agree_and_borders_get_one_unit() -> None:
    index = UnitIndex.build(units())
    assert len(index.units) == 118
    min_lon, min_lat, max_lon, max_lat = index.bbox or (0, 0, 0, 0)
    rng = np.random.default_rng(2025)
    lat, lon = rng.uniform(min_lat, max_lat, 5000), rng.uniform(min_lon, max_lon, 5000)
    many = index.locate_many(lat, lon)
    assert [index.locate(a, o) or NO_UNIT for a, o in zip(lat, lon, strict=True)] == many.tolist()
    assert 1000 < np.count_nonzero(many != NO_UNIT) < 5000  # the box holds sea and Laos too
    # Every point found lies in its unit, and in no unit of lower id (the units barely overlap).
    shapes = {u.id: u.shape for u in index.units}
    for a, o, found in zip(lat[:500], lon[:500], many[:500], strict=True):
        holding = [uid for uid, shape in shapes.items() if shapely.intersects_xy(shape, o, a)]
        assert (min(holding) if holding else NO_UNIT) == found
    border = shared_vertices(400)
    assert len(border) == 400
    found = index.locate_many([b[0] for b in border], [b[1] for b in border])
    assert found.tolist() == [min(b[2]) for b in border]  # on the border: its lowest id, never none
