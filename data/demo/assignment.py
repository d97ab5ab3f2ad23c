"""Which agency works on a report: routed by the rules, passed on to a unit or ward, or referred elsewhere."""

from __future__ import annotations

from data.demo.categories import CategorySpec, Template
from data.demo.context import ReportContext
from data.demo.lifecycle import DISMISSED, RECEIVED, REFERRAL, VERIFIED
from data.demo.places import Place
from data.demo.routing import route

WARD_DELEGATION_SHARE = 0.7


class Assigner:
    """Picks the handling agency of each report; routing answers are cached per (category, district, hour)."""

    def __init__(self, ctx: ReportContext) -> None:
        self.ctx = ctx
        self._routes: dict[tuple[int, int, int], int | None] = {}

    def routed_agency(self, spec: CategorySpec, unit_id: int, hour: int) -> int | None:
        """The agency the routing rules give (the category's default when none matches)."""
        key = (spec.id, unit_id, hour)
        if key not in self._routes:
            self._routes[key] = route(self.ctx.rules, spec.id, unit_id, hour) or spec.default_agency_id
        return self._routes[key]

    def handler(self, spec: CategorySpec, template: Template, place: Place, hour: int, to_ward: float) -> int | None:
        """The agency that works on the report: routed, then passed on to the right unit or ward."""
        agency = self.routed_agency(spec, place.admin_unit_id, hour)
        if template.agency_id is not None and agency == spec.default_agency_id:
            return template.agency_id
        delegate = spec.delegate_to_ward and place.ward_agency_id and to_ward < WARD_DELEGATION_SHARE
        if delegate and agency == self.ctx.core_unit_agency_id:
            return place.ward_agency_id
        return agency

    def referred_or(self, handler: int | None, outcome: int, pick: int) -> int | None:
        """Another agency (picked by ``pick``) when the report is referred: not the city's to handle."""
        if outcome == REFERRAL and self.ctx.referral_agency_ids:
            return self.ctx.referral_agency_ids[pick % len(self.ctx.referral_agency_ids)]
        return handler

    def holder(self, status: str, handler: int | None) -> int | None:
        """The agency a report in ``status`` is with now: none before the IOC passes it on, the IOC if dismissed."""
        if status in (RECEIVED, VERIFIED):
            return None
        return self.ctx.ioc_agency_id if status in DISMISSED else handler
