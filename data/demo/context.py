"""The context a report generator needs: ids from the database, texts and places from the catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.core.catalogue import load_catalogue
from data.demo.agencies import district_agency_code, ward_agency_code
from data.demo.categories import CategorySpec, category_specs
from data.demo.places import Place, build_places
from data.demo.routing import Rule, load_rules
from data.geo import geometry
from data.models import AdminUnit, Agency


@dataclass(frozen=True)
class ReportContext:
    """Everything ``generate_reports`` needs, as plain data: build it with ``load_report_context``."""

    categories: tuple[CategorySpec, ...]
    places: tuple[Place, ...]
    place_weights: tuple[float, ...]
    rules: tuple[Rule, ...]
    agency_names: dict[int, str]
    ioc_agency_id: int | None
    core_unit_agency_id: int | None
    referral_agency_ids: tuple[int, ...]
    channels: tuple[str, ...]
    channel_weights: tuple[float, ...]
    names: dict[str, Any]
    texts: dict[str, Any]
    prefix: str = "HUE"
    utc_offset: timedelta = timedelta(hours=7)


def _districts(session: Session) -> dict[str, tuple[geometry.UnitShape, str]]:
    units = session.execute(
        select(AdminUnit.id, AdminUnit.code, AdminUnit.name, AdminUnit.boundary).where(AdminUnit.level == "district")
    ).all()
    return {u.code: (geometry.UnitShape.of(u.id, u.boundary), u.name) for u in units if u.boundary}


def _ward_agencies(catalogue: dict[str, Any], agency_ids: dict[str, int]) -> dict[str, int]:
    return {
        name: agency_ids[ward_agency_code(name)]
        for name in catalogue["wards"]["names"]
        if ward_agency_code(name) in agency_ids
    }


def load_report_context(
    session: Session, catalogue: dict[str, Any] | None = None, *, per_anchor: int = 40, seed: int = 11
) -> ReportContext:
    """Read the ids of seeded agencies, categories, rules and districts; add the catalogue's texts."""
    catalogue = catalogue or load_catalogue()
    agency_ids = dict(session.execute(select(Agency.code, Agency.id)).all())
    agency_names = dict(session.execute(select(Agency.id, Agency.name)).all())
    districts = _districts(session)
    anchors = [a for a in catalogue["anchors"] if a["district"] in districts]
    ward_agencies = _ward_agencies(catalogue, agency_ids)
    places, weights = build_places(anchors, districts, ward_agencies, per_anchor=per_anchor, seed=seed)
    meta, channels = catalogue["meta"], catalogue["channels"]
    return ReportContext(
        categories=tuple(category_specs(session, catalogue, agency_ids)),
        places=tuple(places),
        place_weights=tuple(weights),
        rules=load_rules(session),
        agency_names=agency_names,
        ioc_agency_id=agency_ids.get("ioc"),
        core_unit_agency_id=agency_ids.get(district_agency_code(meta["core_district"])),
        referral_agency_ids=tuple(agency_ids[c] for c in catalogue["referrals"]["agencies"] if c in agency_ids),
        channels=tuple(channels),
        channel_weights=tuple(float(w) for w in channels.values()),
        names=catalogue["names"],
        texts=catalogue["texts"],
        prefix=meta["tracking_prefix"],
        utc_offset=timedelta(hours=meta["utc_offset_hours"]),
    )
