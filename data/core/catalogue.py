"""The static demo catalogue: names, templates, places, POIs, cameras and KPIs for Huế, kept in ``data/demo_data/``."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

DEMO_DATA = Path(__file__).resolve().parent.parent / "demo_data"
CATALOGUE = DEMO_DATA / "catalogue.toml"


def load_catalogue(path: Path = CATALOGUE) -> dict[str, Any]:
    """The static demo catalogue (agencies, categories, places, POIs, cameras, KPIs)."""
    with path.open("rb") as handle:
        return tomllib.load(handle)
