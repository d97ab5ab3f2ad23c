"""The demo's routing rules (the rules themselves and ``route`` are ``data.reports.routing``'s)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.core.db import bulk_insert
from data.demo.agencies import district_agency_code
from data.models import AdminUnit, RoutingRule
from data.reports.routing import Rule, load_rules, route

__all__ = ["Rule", "load_rules", "route", "rule_rows", "seed_rules"]


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
