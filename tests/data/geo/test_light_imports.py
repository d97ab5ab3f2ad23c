"""Importing the geography loads no pandas, Redis or Alembic: a boundary check stays a light import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HEAVY = ("pandas", "redis", "rq", "alembic", "dash", "flask")


def test_importing_data_geo_loads_nothing_heavy() -> None:
    code = ("import json, sys\n"
            "import data.geo, data.geo.geometry, data.geo.boundaries, data.geo.population, data.geo.proximity\n"
            f"print(json.dumps({{'heavy': [m for m in {HEAVY!r} if m in sys.modules], 'count': len(sys.modules)}}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=True)
    loaded = json.loads(done.stdout)
    print(f"modules loaded by data.geo: {loaded['count']}")
    assert loaded["heavy"] == []
