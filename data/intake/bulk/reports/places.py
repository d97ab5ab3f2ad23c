"""Points located in the city's units over whole arrays: ``data.geo.locating.UnitIndex`` per level."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from data.geo.geometry import UnitShape
from data.geo.locating import NO_UNIT, UnitIndex


def locate_many(lat: np.ndarray, lon: np.ndarray, wanted: np.ndarray,
                levels: Sequence[Sequence[UnitShape]]) -> np.ndarray:
    """The finest unit id holding each wanted point (NaN elsewhere, and for points not wanted).

    Levels come finest first: a point in no ward is looked for in the districts, then the provinces.
    On a border two units share, the lower id wins (``data.geo.geometry``'s rule, as in PostGIS).
    """
    found = np.full(len(lat), np.nan)
    todo = np.flatnonzero(np.asarray(wanted, dtype=bool))
    for level in levels:
        if not len(todo) or not level:
            continue
        ids = UnitIndex.build(level).locate_many(lat[todo], lon[todo])
        hit = ids != NO_UNIT
        found[todo[hit]] = ids[hit]
        todo = todo[~hit]
    return found
