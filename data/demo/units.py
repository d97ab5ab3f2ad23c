"""Administrative units of the demo: Thừa Thiên Huế's districts and Đông Hà from the shipped dvhcvn file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.core.catalogue import DEMO_DATA
from data.geo import boundaries, geometry
from data.models import AdminUnit

Shapes = Sequence[tuple[geometry.UnitShape, str]]


def district_shapes(session: Session) -> list[tuple[geometry.UnitShape, str]]:
    """The districts with a boundary, for ``geometry.locate``, with their names."""
    rows = session.execute(
        select(AdminUnit.id, AdminUnit.name, AdminUnit.boundary).where(AdminUnit.level == "district")
    ).all()
    return [(geometry.UnitShape.of(r.id, r.boundary), r.name) for r in rows if r.boundary]


def locate(lat: float, lon: float, shapes: Shapes) -> int | None:
    """The id of the district that holds the point, if any."""
    return geometry.locate(lat, lon, [s for s, _ in shapes])


def unit_id(session: Session, code: str, level: str = "district") -> int | None:
    """The id of the unit of ``level`` with this code."""
    return session.scalar(select(AdminUnit.id).where(AdminUnit.level == level, AdminUnit.code == code))


def seed_units(session: Session, catalogue: dict[str, Any]) -> int:
    """Provinces and districts from the shipped dvhcvn file; units already there are left alone."""
    meta = catalogue["meta"]
    collection = boundaries.read_collection(DEMO_DATA / meta["district_file"])
    provinces = {str(f["properties"]["level1_id"]): f["properties"]["province"] for f in collection["features"]}
    known = set(session.execute(select(AdminUnit.level, AdminUnit.code)).all())
    new_provinces = [code for code in provinces if ("province", code) not in known]
    session.add_all(
        AdminUnit(
            level="province",
            code=code,
            name=name,
            population=catalogue["province_population"].get(code),
            population_year=2019,
            source=meta["district_source"],
            is_demo=True,
        )
        for code, name in provinces.items()
        if code in new_provinces
    )
    session.flush()
    fields = boundaries.FieldMap(code="level2_id", name="name", parent_code="level1_id")
    parsed = boundaries.parse_units(collection, fields)
    population = catalogue["district_population"]
    records = [replace(r, population=population.get(r.code)) for r in parsed.units if ("district", r.code) not in known]
    report = boundaries.upsert_units(
        session,
        records,
        level="district",
        source=meta["district_source"],
        is_demo=True,
        population_year=2019,
        parent_level="province",
    )
    return len(new_provinces) + report.inserted
