"""The KPI catalogue (the indicators of `data/demo_data/catalogue.toml`) as rows of the indicators table."""

from __future__ import annotations

from typing import Any


def indicator_rows(catalogue: dict[str, Any]) -> list[dict[str, Any]]:
    """The catalogue's indicators as rows of the indicators table."""
    return [
        {
            "code": i["code"],
            "name": i["name"],
            "name_en": i["name_en"],
            "theme": i["theme"],
            "unit": i["unit"],
            "frequency": i["frequency"],
            "direction": i["direction"],
            "geography": i.get("geography", "city"),
            "target": i.get("target"),
            "amber_threshold": i.get("amber"),
            "red_threshold": i.get("red"),
            "source": i["source"],
            "owner": i.get("owner"),
            "sort_order": i.get("sort", 100),
            "is_demo": True,
        }
        for i in catalogue["indicators"]
    ]
