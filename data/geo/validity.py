"""Invalid boundaries (self-intersecting rings, holes outside their shell, overlapping parts): repaired
with GEOS ``make_valid`` when the repair is a detail, refused when it would redraw the unit.

The rule: repair, and warn naming the place, when the repaired shape's area differs from the drawn one
by at most ``MAX_AREA_CHANGE`` (a twisted vertex, a spike, a sliver where a ring touches itself: the
unit is what the file meant). Refuse the feature, naming the place and the change, when it differs
more: a figure-eight ring (its lobes cancel out in the drawn area), rings given in the wrong order,
parts that overlap. Guessing there would put reports in the wrong unit without anyone noticing.
"""

from __future__ import annotations

import re

import shapely
from shapely.geometry.base import BaseGeometry

from data.geo.geometry import polygonal

MAX_AREA_CHANGE = 0.01  # 1 %

_REASON = re.compile(r"^(?P<what>[^\[]+)\[(?P<x>[-\d.eE+]+) (?P<y>[-\d.eE+]+)\]")


class InvalidShape(ValueError):
    """A boundary that cannot be repaired without redrawing it; the message says where and why."""


def describe(shape: BaseGeometry) -> str:
    """GEOS's reason in words people read: 'self-intersection near (lon 107.59012, lat 16.46011)'."""
    reason = shapely.is_valid_reason(shape)
    found = _REASON.match(reason or "")
    if not found:
        return (reason or "invalid geometry").lower()
    where = f"lon {float(found['x']):.5f}, lat {float(found['y']):.5f}"
    return f"{found['what'].strip().lower()} near ({where})"


def repaired(shape: BaseGeometry) -> tuple[BaseGeometry, str | None]:
    """(a valid shape, a warning when it had to be repaired); ``InvalidShape`` when it cannot be."""
    if shape.is_valid:
        if shape.is_empty or shape.area == 0:
            raise InvalidShape("the boundary has no area")
        return shape, None
    problem = describe(shape)
    fixed = polygonal(shapely.make_valid(shape))
    drawn, valid = abs(shape.area), fixed.area  # degrees²: only their ratio is used
    if valid == 0:
        raise InvalidShape(f"{problem}; the boundary has no area")
    change = abs(valid - drawn) / max(valid, drawn)
    if change > MAX_AREA_CHANGE:
        raise InvalidShape(f"{problem}; repairing it (make_valid) would change its area by {change:.0%}: "
                           "fix the ring in the file (a figure-eight, rings in the wrong order, "
                           "overlapping parts?)")
    return fixed, f"{problem}; repaired with make_valid (area changed by {change:.2%})"
