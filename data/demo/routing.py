"""Routing rules: which agency gets a report, by category, district and hour; and the demo's rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.db import bulk_insert
from data.demo.agencies import district_agency_code
from data.models import AdminUnit, RoutingRule


@dataclass(frozen=True)
class Rule:
    """A routing rule as plain data (see ``RoutingRule``); hours are local and may wrap midnight."""

    category_id: int
    agency_id: int
    admin_unit_id: int | None = None
    hour_from: int | None = None
    hour_to: int | None = None
    priority: int = 100

    def matches(self, category_id: int, unit_id: int | None, hour: int) -> bool:
        """True when the rule covers this category, district and local hour."""
        if self.category_id != category_id or self.admin_unit_id not in (None, unit_id):
            return False
        if self.hour_from is None or self.hour_to is None:
            return True
        if self.hour_from <= self.hour_to:
            return self.hour_from <= hour < self.hour_to
        return hour >= self.hour_from or hour < self.hour_to


def route(rules: Sequence[Rule], category_id: int, unit_id: int | None, hour: int) -> int | None:
    """The agency of the best matching rule: lowest priority number, then the most specific."""
    matching = [r for r in rules if r.matches(category_id, unit_id, hour)]
    best = min(matching, key=lambda r: (r.priority, r.admin_unit_id is None, r.hour_from is None), default=None)
    return best.agency_id if best else None


def load_rules(session: Session) -> tuple[Rule, ...]:
    """The stored routing rules as plain data."""
    return tuple(
        Rule(r.category_id, r.agency_id, r.admin_unit_id, r.hour_from, r.hour_to, r.priority)
        for r in session.scalars(select(RoutingRule))
    )


def rule_rows(
    catalogue: dict[str, Any], agencies: dict[str, int], categories: dict[str, int], districts: dict[str, int]
) -> list[dict[str, Any]]:
    """Category → city agency; category × district → the district's committee; night → police."""
    core = catalogue["meta"]["core_district"]
    rows = []
    for c in catalogue["categories"]:
        cat = categories[c["code"]]
        rows.append({"category_id": cat, "agency_id": agencies[c["agency"]], "priority": 100})
        scope = {"all": districts, "outside_core": {k: v for k, v in districts.items() if k != core}}
        for code, unit_id in scope.get(c["district_rule"], {}).items():
            rows.append(
                {
                    "category_id": cat,
                    "admin_unit_id": unit_id,
                    "priority": 50,
                    "agency_id": agencies[district_agency_code(code)],
                }
            )
    for t in catalogue["time_rules"]:
        rows.append(
            {
                "category_id": categories[t["category"]],
                "agency_id": agencies[t["agency"]],
                "hour_from": t["hour_from"],
                "hour_to": t["hour_to"],
                "priority": t["priority"],
            }
        )
    keys = ("admin_unit_id", "hour_from", "hour_to")
    return [{k: None for k in keys} | row | {"is_demo": True} for row in rows]


def seed_rules(
    session: Session, catalogue: dict[str, Any], agencies: dict[str, int], categories: dict[str, int]
) -> int:
    """Insert the demo routing rules for the districts of the report province; how many."""
    province = session.scalar(
        select(AdminUnit.id).where(
            AdminUnit.level == "province", AdminUnit.code == catalogue["meta"]["report_province"]
        )
    )
    query = select(AdminUnit.code, AdminUnit.id).where(AdminUnit.level == "district", AdminUnit.parent_id == province)
    districts = {code: unit_id for code, unit_id in session.execute(query)}
    rows = rule_rows(catalogue, agencies, categories, districts)
    bulk_insert(session, RoutingRule, rows)
    return len(rows)
