"""Demo report categories: their rows, and their specs (weights, seasons, templates) for the generator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.core.db import bulk_insert
from data.demo.seasons import RAINY_MONTHS, SUMMER_MONTHS
from data.models import Category


@dataclass(frozen=True)
class Template:
    """One kind of report: its texts (with ``{street}``), the agency's reply, its seasonal weights."""

    title: str
    body: str
    result: str  # the reply published once resolved, with ``{agency}``
    rain: float = 1.0
    summer: float = 1.0
    agency_id: int | None = None  # the unit the IOC passes it on to, instead of the category's agency


@dataclass(frozen=True)
class CategorySpec:
    """A stored category with the catalogue's weights and templates, as the generator needs it."""

    id: int
    code: str
    default_agency_id: int | None
    sla_days: int
    emergency_hours: int
    weight: float
    rain: float
    summer: float
    night: float
    emergency_share: float
    delegate_to_ward: bool
    templates: tuple[Template, ...]

    def season_weight(self, month: int) -> float:
        """How much more (or less) often the category comes up in ``month``."""
        return self.rain if month in RAINY_MONTHS else self.summer if month in SUMMER_MONTHS else 1.0


def _templates(item: dict[str, Any], agency_ids: dict[str, int]) -> tuple[Template, ...]:
    return tuple(
        Template(
            t["title"],
            t["body"],
            t["result"],
            t.get("rain", 1.0),
            t.get("summer", 1.0),
            agency_ids.get(t.get("agency", "")),
        )
        for t in item["templates"]
    )


def category_specs(session: Session, catalogue: dict[str, Any], agency_ids: dict[str, int]) -> list[CategorySpec]:
    """The catalogue's categories that are stored, with their ids and default agencies."""
    query = select(Category.code, Category.id, Category.default_agency_id)
    stored = {code: (cid, agency) for code, cid, agency in session.execute(query)}
    specs = []
    for item in (c for c in catalogue["categories"] if c["code"] in stored):
        cid, agency = stored[item["code"]]
        specs.append(
            CategorySpec(
                id=cid,
                code=item["code"],
                default_agency_id=agency,
                sla_days=item["sla_working_days"],
                emergency_hours=item["sla_emergency_hours"],
                weight=item["weight"],
                rain=item["rain"],
                summer=item["summer"],
                night=item["night"],
                emergency_share=item["emergency_share"],
                delegate_to_ward=item["delegate_to_ward"],
                templates=_templates(item, agency_ids),
            )
        )
    return specs


def seed_categories(session: Session, catalogue: dict[str, Any], agencies: dict[str, int]) -> dict[str, int]:
    """Insert the demo categories with their SLAs; their ids by code."""
    rows = [
        {
            "code": c["code"],
            "name": c["name"],
            "name_en": c["name_en"],
            "description": c["description"],
            "keywords": c["keywords"],
            "default_agency_id": agencies[c["agency"]],
            "public": True,
            "description_required": c.get("description_required", False),
            "is_demo": True,
            "sla_working_days": c["sla_working_days"],
            "sla_emergency_hours": c["sla_emergency_hours"],
        }
        for c in catalogue["categories"]
    ]
    bulk_insert(session, Category, rows)
    return dict(session.execute(select(Category.code, Category.id)).all())
