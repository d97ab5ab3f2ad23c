"""Population from a census table: parsed, checked and stored on the administrative units."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.geo.boundaries.reading import GeoFileError, _number, _text
from data.models import AdminUnit


@dataclass
class PopulationReport:
    rows: int = 0
    updated: int = 0
    unmatched: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def text(self, level: str) -> str:
        lines = [f"Read {self.rows} rows; updated the population of {self.updated} {level} units."]
        if self.unmatched:
            sample = ", ".join(self.unmatched[:5]) + (", ..." if len(self.unmatched) > 5 else "")
            lines.append(f"{len(self.unmatched)} codes match no {level} unit (e.g. {sample}).")
        lines.extend(f"  - {p}" for p in self.problems)
        return "\n".join(lines)


def parse_population(
    rows: Iterable[dict[str, str]], code_field: str, population_field: str
) -> tuple[dict[str, int], list[str]]:
    """Code → population from CSV rows; rows without a code or a number are listed as problems."""
    values: dict[str, int] = {}
    problems: list[str] = []
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        code = _text(row.get(code_field))
        number = _number(row.get(population_field))
        if code is None or number is None:
            problems.append(f"line {line}: no {code_field!r} or no number in {population_field!r}; skipped")
            continue
        values[code] = round(number)
    return values, problems


def _csv_rows(path: Path, required: Sequence[str]) -> Iterator[dict[str, str]]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise GeoFileError(f"{path}: cannot be read ({exc})") from None
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise GeoFileError(f"{path}: no column {', '.join(map(repr, missing))} (columns: {reader.fieldnames})")
        yield from reader


def import_population(
    session: Session, path: Path, *, level: str, code_field: str, population_field: str, year: int | None
) -> PopulationReport:
    """Set the population of existing units of ``level`` from a CSV keyed by unit code."""
    rows = list(_csv_rows(path, (code_field, population_field)))
    values, problems = parse_population(rows, code_field, population_field)
    report = PopulationReport(rows=len(rows), problems=problems)
    query = select(AdminUnit).where(AdminUnit.level == level, AdminUnit.code.in_(values))
    units = {u.code: u for u in session.scalars(query)}
    for code, population in values.items():
        unit = units.get(code)
        if unit is None:
            report.unmatched.append(code)
            continue
        unit.population, unit.population_year = population, year
        report.updated += 1
    session.flush()
    return report
