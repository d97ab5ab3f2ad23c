"""PostGIS on PostgreSQL: the migration and the command install the units' shapes (GiST index, trigger),
and ``ST_Covers`` gives the answers shapely gives, on the same points, borders included.

The database of most tests has the PostGIS extension (Debian's postgresql-15-postgis-3, installed by
scripts/system-deps.sh) and holds the 118 units of Huế and Quảng Trị in force since July 2025.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, delete, null, select, text
from sqlalchemy.engine import make_url

from data.core.db import alembic_config, migrate
from data.core.errors import ConfigError
from data.core.runtime import Runtime
from data.geo import boundaries, postgis
from data.geo.locating import NO_UNIT, UnitIndex
from data.intake.pipeline import clear_places_cache, load_places, place_of
from data.models import AdminUnit, Base
from tests.data.geo.units2025 import FILES, ROOT, shared_vertices
from tests.dbfixtures import fresh_pg_database, open_runtime

pytestmark = pytest.mark.integration
FIELDS = boundaries.FieldMap(code="code", name="fullName")
SQUARE = {"type": "Polygon", "coordinates": [[[107.0, 17.5], [107.1, 17.5], [107.1, 17.6], [107.0, 17.6],
                                              [107.0, 17.5]]]}


def _with_extension(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:  # what a DBA does once; the tests' role is a superuser
        conn.execute(text("CREATE SCHEMA IF NOT EXISTS gis"))
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis SCHEMA gis"))
    engine.dispose()


@pytest.fixture(scope="module")
def gis() -> Iterator[Runtime]:
    """A database with PostGIS, migrated (revision 0017 installs the shapes), holding the 2025 units."""
    with fresh_pg_database() as url:
        _with_extension(url)
        with open_runtime(url, postgis="on") as runtime:
            with runtime.session() as session:
                for path in FILES:
                    report = boundaries.import_geojson(session, path, level="ward", fields=FIELDS)
                    assert report.problems == []
            yield runtime


def _shapely_index(runtime: Runtime) -> UnitIndex:
    with runtime.session() as session:
        return UnitIndex.build(boundaries.unit_shapes(session, "ward"))


def test_the_migration_made_indexed_valid_shapes_outside_the_models(gis: Runtime) -> None:
    with gis.engine.connect() as conn:
        assert postgis.installed(conn) and postgis.extension_schema(conn) == "gis"
        assert conn.scalar(text("SELECT count(DISTINCT unit_id) FROM gis.admin_unit_shapes")) == 118
        assert conn.scalar(text("SELECT bool_and(gis.ST_IsValid(geom)) FROM gis.admin_unit_shapes")) is True
        index = conn.scalar(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'admin_unit_shapes_geom'"))
        assert "USING gist (geom)" in index
        # The schema the models describe is untouched: PostGIS and its shapes live in their own schema.
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_postgis_and_shapely_give_the_same_units_on_the_same_points(gis: Runtime) -> None:
    index = _shapely_index(gis)
    min_lon, min_lat, max_lon, max_lat = index.bbox or (0, 0, 0, 0)
    rng = np.random.default_rng(17)
    lat = rng.uniform(min_lat, max_lat, 20_000)
    lon = rng.uniform(min_lon, max_lon, 20_000)
    # Points exactly on borders: vertices two units share (the files use codes; the database its ids).
    with gis.session() as session:
        id_of = dict(session.execute(select(AdminUnit.code, AdminUnit.id)).all())
    border = shared_vertices(500)
    lat = np.concatenate([lat, [b[0] for b in border]])
    lon = np.concatenate([lon, [b[1] for b in border]])
    with gis.engine.connect() as conn:
        in_database = postgis.locate_many(conn, lat, lon, index.ids.tolist())
    in_process = index.locate_many(lat, lon)
    assert np.array_equal(in_database, in_process)
    assert 4000 < np.count_nonzero(in_process[:20_000] != NO_UNIT) < 20_000
    on_border = in_database[20_000:].tolist()
    assert on_border == [min(id_of[str(code)] for code in b[2]) for b in border]  # one unit: the lowest id


def test_the_trigger_follows_every_write_of_a_boundary(gis: Runtime) -> None:
    with gis.session() as session:
        unit = AdminUnit(level="district", code="T-1", name="Thử", boundary=SQUARE)
        session.add(unit)
        session.flush()
        conn = session.connection()
        assert postgis.locate(conn, 17.55, 107.05, [unit.id]) == unit.id
        unit.boundary = {"type": "Polygon", "coordinates": [[[107.2, 17.5], [107.3, 17.5], [107.3, 17.6],
                                                             [107.2, 17.5]]]}
        session.flush()
        assert postgis.locate(conn, 17.55, 107.05, [unit.id]) is None
        assert postgis.locate(conn, 17.52, 107.28, [unit.id]) == unit.id
        unit.boundary = null()  # SQL NULL, then JSON null: no shape either way
        session.flush()
        assert conn.scalar(text("SELECT count(*) FROM gis.admin_unit_shapes WHERE unit_id = :u"), {"u": unit.id}) == 0
        unit.boundary = SQUARE
        session.flush()
        unit.boundary = None
        session.flush()
        assert conn.scalar(text("SELECT count(*) FROM gis.admin_unit_shapes WHERE unit_id = :u"), {"u": unit.id}) == 0
        unit.boundary = SQUARE
        session.flush()
        session.execute(delete(AdminUnit).where(AdminUnit.id == unit.id))
        assert conn.scalar(text("SELECT count(*) FROM gis.admin_unit_shapes WHERE unit_id = :u"), {"u": unit.id}) == 0


def test_a_report_is_placed_by_postgis_when_the_setting_says_so(gis: Runtime) -> None:
    clear_places_cache()
    index = _shapely_index(gis)
    with gis.session() as session:
        assert load_places(session, gis.settings.database_url, "on").postgis == "gis"
        dong_ha = session.scalar(select(AdminUnit.id).where(AdminUnit.code == "19333"))  # Phường Đông Hà
        for lat, lon in ((16.8163, 107.1003), (16.4603, 107.5877), (16.7403, 107.1855)):
            assert place_of(session, gis.settings, lat, lon) == index.locate(lat, lon)
        assert place_of(session, gis.settings, 16.8163, 107.1003) == dong_ha
    clear_places_cache()


def test_without_postgis_on_is_a_clear_error_auto_and_off_use_shapely(pg_runtime: Runtime,
                                                                       sqlite_runtime: Runtime) -> None:
    with pg_runtime.engine.connect() as conn:
        assert not postgis.installed(conn) and not postgis.in_use(conn, "auto") and not postgis.in_use(conn, "off")
        with pytest.raises(ConfigError, match="apt-get install postgresql-15-postgis-3"):
            postgis.in_use(conn, "on")
        with pytest.raises(ConfigError, match="python -m data geo postgis"):
            postgis.locate(conn, 16.46, 107.59, [1])
    with sqlite_runtime.engine.connect() as conn:
        assert not postgis.in_use(conn, "auto")
        with pytest.raises(ConfigError, match="option of PostgreSQL"):
            postgis.install(conn)


def test_the_command_installs_postgis_later_and_the_migration_goes_both_ways() -> None:
    with fresh_pg_database() as url:
        with open_runtime(url) as runtime, runtime.session() as session:  # migrated without PostGIS
            session.add(AdminUnit(level="ward", code="A", name="Phường A", boundary=SQUARE))
        env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
        env |= {"IOC_DATABASE_URL": make_url(url).render_as_string(hide_password=False), "IOC_DEMO": "false"}
        done = subprocess.run([sys.executable, "-m", "data", "geo", "postgis"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "PostGIS ready: 1 unit shapes indexed (gis.admin_unit_shapes)." in done.stdout
        engine = create_engine(url)
        command.downgrade(alembic_config(engine), "0016")  # the revision before PostGIS
        with engine.connect() as conn:
            assert not postgis.installed(conn) and postgis.extension_schema(conn) == "gis"
        migrate(engine)  # the extension is there now: 0017 installs the shapes by itself
        with engine.connect() as conn:
            assert postgis.installed(conn)
            assert conn.scalar(text("SELECT count(DISTINCT unit_id) FROM gis.admin_unit_shapes")) == 1
        engine.dispose()


def test_postgis_on_refuses_to_start_without_it(sqlite_url: str) -> None:
    with (pytest.raises(ConfigError, match="IOC_POSTGIS=on, but this database has no PostGIS shapes"),
          open_runtime(sqlite_url, postgis="on")):
        pass
