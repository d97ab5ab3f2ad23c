"""Importing the geography loads no pandas, Redis or Alembic: a boundary check stays a light import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# shapely (and so numpy) is data.geo's geometry; pyproj (0.1–0.2 s more) waits for the first area measured.
HEAVY = ("pandas", "redis", "rq", "alembic", "dash", "flask", "pyproj")


def test_importing_data_geo_loads_nothing_heavy() -> None:
    code = ("import json, sys\n"
            "import data.geo, data.geo.geometry, data.geo.boundaries, data.geo.population, data.geo.proximity\n"
            "import data.geo.locating, data.geo.measure, data.geo.simplify, data.geo.validity, data.geo.postgis\n"
            f"print(json.dumps({{'heavy': [m for m in {HEAVY!r} if m in sys.modules], 'count': len(sys.modules)}}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=True)
    loaded = json.loads(done.stdout)
    print(f"modules loaded by data.geo: {loaded['count']}")
    assert loaded["heavy"] == []
