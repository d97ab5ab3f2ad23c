"""PostGIS, the production option on PostgreSQL: the units' shapes as geometry with a GiST index, and
reports located with ``ST_Covers`` in the database, giving the same answers as shapely on SQLite.

The shapes live in their own schema, ``gis.admin_unit_shapes(unit_id, geom)`` (each unit cut into
small pieces: see ``PIECE_VERTICES``), beside ``admin_units``,
and a trigger on ``admin_units`` keeps them in step with ``boundary`` (the GeoJSON every reader
already uses), whoever writes it: the boundary import, a later import of new units, a console. The
own schema keeps PostGIS out of the tables the Alembic models describe, so the schema stays the same
on SQLite, on PostgreSQL and on PostgreSQL with PostGIS.

The rule on borders is shapely's (``data.geo.geometry``): ``ST_Covers`` (interior or edge: plain
``ST_Contains`` would leave a point on a border in no unit at all) and, when two units cover the
point, the lowest id. Shapes go through ``ST_MakeValid`` as shapely's go through ``make_valid``.

``IOC_POSTGIS`` decides (``Settings.postgis``): ``off`` never uses it; ``auto`` uses it when the
database has it; ``on`` requires it and says how to get it when it is missing. Installing:
``apt-get install postgresql-15-postgis-3`` (scripts/system-deps.sh), then ``python -m data geo
postgis`` as a role that may ``CREATE EXTENSION`` (a superuser on PostgreSQL 15); migration 0017 does
the same by itself on a database whose PostGIS extension already exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import Connection, text

from data.core.errors import ConfigError
from data.geo.locating import NO_UNIT

SCHEMA = "gis"
SHAPES = f"{SCHEMA}.admin_unit_shapes"
MODES = ("auto", "on", "off")
CHUNK_POINTS = 100_000  # points sent per query: two float arrays of 0.8 MB each
# Units are stored cut into pieces of at most this many vertices (ST_Subdivide): a whole commune (up to
# 10,000 vertices, stored compressed) was read and decompressed for every point, 5 ms each; a piece is
# small, uncompressed, and the GiST index finds the one or two a point can be in.
PIECE_VERTICES = 64

MISSING = ("IOC_POSTGIS=on, but this database has no PostGIS shapes: install the server's package "
           "(apt-get install postgresql-15-postgis-3), then run `python -m data geo postgis` as a role "
           "allowed to CREATE EXTENSION")


def is_postgresql(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def extension_schema(conn: Connection) -> str | None:
    """The schema PostGIS was created in, or None when the database does not have it."""
    if not is_postgresql(conn):
        return None
    return conn.scalar(text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                            "WHERE e.extname = 'postgis'"))


def installed(conn: Connection) -> bool:
    """True when the shapes table (and so its trigger) exists in this database."""
    return is_postgresql(conn) and conn.scalar(text(f"SELECT to_regclass('{SHAPES}') IS NOT NULL")) is True


def in_use(conn: Connection, mode: str) -> bool:
    """Whether to locate with PostGIS under ``IOC_POSTGIS=mode``; ``on`` without it is a ConfigError."""
    if mode == "off":
        return False
    found = installed(conn)
    if mode == "on" and not found:
        raise ConfigError(MISSING)
    return found


def _statements(ext: str) -> list[str]:
    """The idempotent DDL: schema, table, indexes, conversion function, trigger, back-fill."""
    shape = (f"{ext}.ST_CollectionExtract({ext}.ST_MakeValid("
             f"{ext}.ST_SetSRID({ext}.ST_GeomFromGeoJSON(boundary::text), 4326)), 3)")
    return [
        f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
        f"CREATE TABLE IF NOT EXISTS {SHAPES} (id bigserial PRIMARY KEY, unit_id integer NOT NULL "
        f"REFERENCES public.admin_units (id) ON DELETE CASCADE, geom {ext}.geometry(Polygon, 4326) NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS admin_unit_shapes_geom ON {SHAPES} USING gist (geom)",
        f"CREATE INDEX IF NOT EXISTS admin_unit_shapes_unit ON {SHAPES} (unit_id)",
        # One place turns a stored GeoJSON boundary into its pieces (none for JSON null or a non-object).
        f"""CREATE OR REPLACE FUNCTION {SCHEMA}.unit_pieces(boundary json) RETURNS SETOF {ext}.geometry
            LANGUAGE sql IMMUTABLE AS $$
            SELECT {ext}.ST_Subdivide(g, {PIECE_VERTICES}) FROM (SELECT {shape} AS g) s
            WHERE json_typeof(boundary) = 'object' AND NOT {ext}.ST_IsEmpty(g) $$""",
        f"""CREATE OR REPLACE FUNCTION {SCHEMA}.sync_unit_shape() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              DELETE FROM {SHAPES} WHERE unit_id = NEW.id;
              BEGIN
                INSERT INTO {SHAPES} (unit_id, geom) SELECT NEW.id, {SCHEMA}.unit_pieces(NEW.boundary);
              EXCEPTION WHEN others THEN
                -- A boundary PostGIS cannot read must not lose the unit's own write: warn, leave no shape.
                RAISE WARNING 'admin unit %: boundary not usable by PostGIS (%)', NEW.id, SQLERRM;
              END;
              RETURN NEW;
            END $$""",
        "DROP TRIGGER IF EXISTS admin_units_shape ON public.admin_units",
        f"CREATE TRIGGER admin_units_shape AFTER INSERT OR UPDATE OF boundary ON public.admin_units "
        f"FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.sync_unit_shape()",
        f"DELETE FROM {SHAPES}",
        f"INSERT INTO {SHAPES} (unit_id, geom) SELECT id, {SCHEMA}.unit_pieces(boundary) FROM public.admin_units",
    ]


def install(conn: Connection, *, create_extension: bool = False) -> int:
    """Create (or refresh) the shapes table, its index and trigger, and fill it; answers the shapes held.

    ``create_extension``: also ``CREATE EXTENSION postgis`` (in schema ``gis``) when it is missing,
    which needs a role allowed to; without it, a database lacking PostGIS is a ConfigError.
    """
    if not is_postgresql(conn):
        raise ConfigError("PostGIS is an option of PostgreSQL: this database is "
                          f"{conn.dialect.name}, where shapely locates the reports")
    if create_extension and extension_schema(conn) is None:
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
        conn.execute(text(f"CREATE EXTENSION IF NOT EXISTS postgis SCHEMA {SCHEMA}"))
    ext = extension_schema(conn)
    if ext is None:
        raise ConfigError(MISSING.replace("IOC_POSTGIS=on, but this", "This"))
    for statement in _statements(ext):
        conn.execute(text(statement))
    return int(conn.scalar(text(f"SELECT count(DISTINCT unit_id) FROM {SHAPES}")) or 0)


def uninstall(conn: Connection) -> None:
    """Remove the trigger, the shapes and the functions (the extension stays: others may use it)."""
    if not is_postgresql(conn):
        return
    conn.execute(text("DROP TRIGGER IF EXISTS admin_units_shape ON public.admin_units"))
    conn.execute(text(f"DROP TABLE IF EXISTS {SHAPES}"))
    conn.execute(text(f"DROP FUNCTION IF EXISTS {SCHEMA}.sync_unit_shape()"))
    conn.execute(text(f"DROP FUNCTION IF EXISTS {SCHEMA}.unit_pieces(json)"))


def _locate_sql(ext: str) -> str:
    # For each point, the lowest id among the given units with a piece covering it (GiST finds the pieces).
    return f"""
        SELECT (SELECT min(s.unit_id) FROM {SHAPES} s
                WHERE s.unit_id = ANY(:ids)
                  AND {ext}.ST_Covers(s.geom, {ext}.ST_SetSRID({ext}.ST_MakePoint(p.lon, p.lat), 4326)))
        FROM unnest(CAST(:lats AS float8[]), CAST(:lons AS float8[])) WITH ORDINALITY AS p(lat, lon, i)
        ORDER BY p.i"""


def shapes_schema(conn: Connection) -> str:
    """The schema of the PostGIS functions, when the shapes are installed; else a ConfigError saying how."""
    ext = extension_schema(conn)
    if ext is None or not installed(conn):
        raise ConfigError(MISSING.replace("IOC_POSTGIS=on, but this", "This"))
    return ext


def locate_many(conn: Connection, lats: Any, lons: Any, unit_ids: Sequence[int], *,
                ext: str | None = None) -> np.ndarray:
    """Unit ids (int64; ``NO_UNIT`` where none) of the points among ``unit_ids``: ``UnitIndex.locate_many``'s
    answer, computed by PostGIS. ``ext``: ``shapes_schema``'s answer, when the caller holds it already."""
    ext = ext or shapes_schema(conn)
    lat = np.asarray(lats, dtype=float)
    lon = np.asarray(lons, dtype=float)
    found = np.full(len(lat), NO_UNIT, dtype=np.int64)
    ids = [int(i) for i in unit_ids]
    statement = text(_locate_sql(ext))
    for start in range(0, len(lat), CHUNK_POINTS):
        stop = start + CHUNK_POINTS
        rows = conn.execute(statement, {"ids": ids, "lats": lat[start:stop].tolist(),
                                        "lons": lon[start:stop].tolist()}).scalars().all()
        found[start:stop] = [NO_UNIT if r is None else r for r in rows]
    return found


def locate(conn: Connection, lat: float, lon: float, unit_ids: Sequence[int], *,
           ext: str | None = None) -> int | None:
    """The unit id holding one point among ``unit_ids`` (lowest on a shared border), or None: one short
    query, as a report comes in."""
    ext = ext or shapes_schema(conn)
    found = conn.scalar(text(
        f"SELECT min(unit_id) FROM {SHAPES} WHERE unit_id = ANY(:ids) "
        f"AND {ext}.ST_Covers(geom, {ext}.ST_SetSRID({ext}.ST_MakePoint(:lon, :lat), 4326))"),
        {"ids": [int(i) for i in unit_ids], "lat": float(lat), "lon": float(lon)})
    return None if found is None else int(found)
