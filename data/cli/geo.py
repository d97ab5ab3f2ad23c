"""``python -m data geo``: import administrative boundaries and census population.

    python -m data geo import FILE --level ward --code-field GID_3 --name-field NAME_3 \\
        [--population-field pop_total_2019 --population-year 2019 --area-field area_sqm \\
         --parent-code-field GID_2 --parent-level district --source "GADM 4.1" --demo]
    python -m data geo population CSV --level ward --code-field ward_id --population-field total \\
        [--year 2019]
    python -m data geo postgis      # PostgreSQL: create PostGIS and the units' shapes (data.geo.postgis)

The database comes from the settings (``IOC_DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.orm import Session

from data.core.errors import IocError
from data.core.settings import load_settings
from data.geo import postgis
from data.geo.boundaries import LEVELS, FieldMap, import_geojson
from data.geo.population import import_population
from data.runtime import build_runtime


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m data.geo", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    imp = commands.add_parser("import", help="import administrative boundaries from a GeoJSON file")
    imp.add_argument("file", type=Path)
    imp.add_argument("--level", choices=LEVELS, required=True)
    imp.add_argument("--code-field", required=True, help="property holding the unit's code")
    imp.add_argument("--name-field", required=True, help="property holding the unit's name")
    imp.add_argument("--population-field")
    imp.add_argument("--population-year", type=int)
    imp.add_argument("--area-field", help="property holding the area in m² (else computed)")
    imp.add_argument("--parent-code-field", help="property holding the parent unit's code")
    imp.add_argument("--parent-level", choices=LEVELS)
    imp.add_argument("--source", help="where the data comes from (stored with each unit)")
    imp.add_argument("--demo", action="store_true", help="mark the units as demo data")
    pop = commands.add_parser("population", help="set unit populations from a CSV keyed by unit code")
    pop.add_argument("file", type=Path)
    pop.add_argument("--level", choices=LEVELS, default="ward")
    pop.add_argument("--code-field", required=True)
    pop.add_argument("--population-field", required=True)
    pop.add_argument("--year", type=int)
    commands.add_parser("postgis", help="PostgreSQL: create the PostGIS extension (if allowed) and the units' "
                        "shapes with their GiST index and trigger")
    return parser


def _run(args: argparse.Namespace, session: Session) -> tuple[str, bool]:
    if args.command == "postgis":
        shapes = postgis.install(session.connection(), create_extension=True)
        return f"PostGIS ready: {shapes} unit shapes indexed ({postgis.SHAPES}).", True
    if args.command == "import":
        fields = FieldMap(
            args.code_field, args.name_field, args.population_field, args.area_field, args.parent_code_field
        )
        report = import_geojson(
            session,
            args.file,
            level=args.level,
            fields=fields,
            source=args.source,
            is_demo=args.demo,
            population_year=args.population_year,
            parent_level=args.parent_level,
        )
        return report.text(), report.imported > 0
    population = import_population(
        session,
        args.file,
        level=args.level,
        code_field=args.code_field,
        population_field=args.population_field,
        year=args.year,
    )
    return population.text(args.level), population.updated > 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; exit 1 when nothing could be imported, 2 when the database is unreachable."""
    args = _parser().parse_args(argv)
    try:
        # Installing PostGIS must not be refused because IOC_POSTGIS=on finds it missing.
        runtime = build_runtime(load_settings(**({"postgis": "off"} if args.command == "postgis" else {})))
    except IocError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    try:
        with runtime.session() as session:
            text, ok = _run(args, session)
    except IocError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    finally:
        runtime.close()
    print(text)
    return 0 if ok else 1
