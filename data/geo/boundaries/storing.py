"""Storing units in ``admin_units`` by (level, code), parents linked; and reading them back for ``locate``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.core.errors import InvalidInput
from data.geo.boundaries.reading import FieldMap, Problem, UnitRecord, parse_units, read_collection
from data.geo.geometry import UnitShape
from data.models import AdminUnit

LEVELS = ("province", "district", "ward")


@dataclass
class ImportReport:
    """What an import did: counts, and every problem met on the way."""

    level: str
    total: int = 0
    inserted: int = 0
    updated: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.inserted + self.updated

    def text(self) -> str:
        """The validation report the CLI prints."""
        lines = [
            f"Imported {self.imported} of {self.total} features as {self.level} units "
            f"({self.inserted} new, {self.updated} updated)."
        ]
        skipped = [p for p in self.problems if p.skipped]
        warnings = [p for p in self.problems if not p.skipped]
        if skipped:
            lines.append(f"Skipped {len(skipped)}:")
            lines.extend(f"  - {p}" for p in skipped)
        if warnings:
            lines.append(f"Warnings ({len(warnings)}):")
            lines.extend(f"  - {p}" for p in warnings)
        return "\n".join(lines)


def _parents(session: Session, level: str | None, codes: set[str]) -> dict[str, int]:
    if level is None or not codes:
        return {}
    rows = session.execute(
        select(AdminUnit.code, AdminUnit.id).where(AdminUnit.level == level, AdminUnit.code.in_(codes))
    )
    return {code: unit_id for code, unit_id in rows}


def _apply(unit: AdminUnit, record: UnitRecord, parent_id: int | None, **extra: Any) -> None:
    unit.name = record.name
    unit.boundary = record.geometry
    unit.bbox = list(record.bbox)
    unit.area_sqm = record.area_sqm
    unit.centroid_lat = record.centroid_lat
    unit.centroid_lon = record.centroid_lon
    if parent_id is not None:
        unit.parent_id = parent_id
    # A file without population must not erase one imported before (e.g. from a census CSV).
    if record.population is not None:
        unit.population = record.population
        unit.population_year = extra["population_year"]
    unit.source = extra["source"]
    unit.is_demo = extra["is_demo"]


def upsert_units(
    session: Session,
    records: Sequence[UnitRecord],
    *,
    level: str,
    source: str | None = None,
    is_demo: bool = False,
    population_year: int | None = None,
    parent_level: str | None = None,
) -> ImportReport:
    """Insert or update units by (level, code); link parents found at ``parent_level``."""
    report = ImportReport(level, total=len(records))
    existing = {
        u.code: u
        for u in session.scalars(
            select(AdminUnit).where(AdminUnit.level == level, AdminUnit.code.in_([r.code for r in records]))
        )
    }
    parents = _parents(session, parent_level, {r.parent_code for r in records if r.parent_code})
    extra = {"source": source, "is_demo": is_demo, "population_year": population_year}
    for index, record in enumerate(records, start=1):
        parent_id = parents.get(record.parent_code) if record.parent_code else None
        if record.parent_code and parent_level and parent_id is None:
            report.problems.append(
                Problem(index, record.code, f"parent {record.parent_code!r} ({parent_level}) not found", False)
            )
        unit = existing.get(record.code)
        if unit is None:
            unit = AdminUnit(level=level, code=record.code)
            session.add(unit)
            report.inserted += 1
        else:
            report.updated += 1
        _apply(unit, record, parent_id, **extra)
    session.flush()
    return report


def import_geojson(
    session: Session,
    path: Path,
    *,
    level: str,
    fields: FieldMap,
    source: str | None = None,
    is_demo: bool = False,
    population_year: int | None = None,
    parent_level: str | None = None,
) -> ImportReport:
    """Read, check and upsert one boundary file; a malformed file raises GeoFileError."""
    if level not in LEVELS:
        raise InvalidInput(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    parsed = parse_units(read_collection(path), fields)
    report = upsert_units(
        session,
        parsed.units,
        level=level,
        source=source or path.name,
        is_demo=is_demo,
        population_year=population_year,
        parent_level=parent_level,
    )
    report.total = parsed.total
    report.problems = parsed.problems + report.problems
    return report


def unit_shapes(session: Session, level: str) -> list[UnitShape]:
    """The units of one level that have a boundary, ready for ``locate``."""
    units = session.scalars(select(AdminUnit).where(AdminUnit.level == level, AdminUnit.boundary.is_not(None)))
    return [UnitShape.of(u.id, u.boundary) for u in units if u.boundary]
