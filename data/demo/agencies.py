"""Demo agencies: the city's departments and the People's Committee of each district and core ward."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.core.db import bulk_insert
from data.demo.naming import english_unit_name, slug
from data.models import AdminUnit, Agency


def district_agency_code(unit_code: str) -> str:
    """The code of a district's People's Committee: ``ubnd-474``."""
    return f"ubnd-{unit_code}"


def ward_agency_code(ward_name: str) -> str:
    """The code of a ward's People's Committee: ``ubnd-phuong-vinh-ninh``."""
    return f"ubnd-{slug(ward_name)}"


def agency_rows(catalogue: dict[str, Any], districts: Sequence[tuple[int, str, str]]) -> list[dict[str, Any]]:
    """City agencies, the People's Committee of each district and of each ward of the core."""
    base = {"email": None, "active": True, "is_demo": True}
    rows = [
        {"code": a["code"], "name": a["name"], "name_en": a["name_en"], "level": "city", "admin_unit_id": None}
        for a in catalogue["agencies"]
    ]
    rows += [
        {
            "code": district_agency_code(code),
            "name": f"UBND {name}",
            "level": "district",
            "admin_unit_id": uid,
            "name_en": f"{english_unit_name(name)} People's Committee",
        }
        for uid, code, name in districts
    ]
    rows += [
        {
            "code": ward_agency_code(ward),
            "name": f"UBND {ward}",
            "level": "ward",
            "admin_unit_id": None,
            "name_en": f"{english_unit_name(ward)} People's Committee",
        }
        for ward in catalogue["wards"]["names"]
    ]
    return [base | row for row in rows]


def seed_agencies(session: Session, catalogue: dict[str, Any]) -> dict[str, int]:
    """Insert the demo agencies; their ids by code."""
    query = select(AdminUnit.id, AdminUnit.code, AdminUnit.name).where(AdminUnit.level == "district")
    districts = [(uid, code, name) for uid, code, name in session.execute(query.order_by(AdminUnit.code))]
    bulk_insert(session, Agency, agency_rows(catalogue, districts))
    return dict(session.execute(select(Agency.code, Agency.id)).all())
