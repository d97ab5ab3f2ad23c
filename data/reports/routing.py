"""Routing: which agency receives a report, by category, administrative unit (or its parents) and local hour."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.core.sla import to_local
from data.models import AdminUnit, Agency, Category, RoutingRule

# Wards sit under districts under provinces; a deeper chain means a parent loop in the data.
MAX_DEPTH = 8


@dataclass(frozen=True)
class Rule:
    """A routing rule as plain data (see ``RoutingRule``); hours are local and may wrap midnight."""

    category_id: int
    agency_id: int
    admin_unit_id: int | None = None
    hour_from: int | None = None
    hour_to: int | None = None
    priority: int = 100
    id: int | None = None  # the stored rule's id (None for a rule built in code)

    def matches(self, category_id: int, unit_id: int | None, hour: int) -> bool:
        """True when the rule covers this category, unit and local hour."""
        return self.matches_any(category_id, (unit_id,), hour)

    def matches_any(self, category_id: int, units: Sequence[int | None], hour: int) -> bool:
        """True when the rule covers this category, one of ``units`` (or every unit), and the local hour."""
        if self.category_id != category_id:
            return False
        if self.admin_unit_id is not None and self.admin_unit_id not in units:
            return False
        if self.hour_from is None or self.hour_to is None:
            return True
        if self.hour_from <= self.hour_to:
            return self.hour_from <= hour < self.hour_to
        return hour >= self.hour_from or hour < self.hour_to


def route(
    rules: Sequence[Rule], category_id: int, unit_id: int | None, hour: int, parents: Sequence[int] = ()
) -> int | None:
    """The agency of the best matching rule (``best_rule``), or None."""
    best = best_rule(rules, category_id, unit_id, hour, parents)
    return best.agency_id if best else None


def best_rule(
    rules: Sequence[Rule], category_id: int, unit_id: int | None, hour: int, parents: Sequence[int] = ()
) -> Rule | None:
    """The rule that decides: the matching one with the lowest priority number, then the most specific.

    A rule on one of ``parents`` (the unit's district, province, ..., nearest first) covers the unit
    too. Among equal priorities a rule on the unit itself beats one on its district, which beats a
    rule for every unit; then a rule limited to some hours beats an all-day one.
    """
    chain = (unit_id, *parents) if unit_id is not None else tuple(parents)

    def specificity(r: Rule) -> tuple[int, int, bool]:
        depth = chain.index(r.admin_unit_id) if r.admin_unit_id is not None else len(chain)
        return r.priority, depth, r.hour_from is None

    matching = [r for r in rules if r.matches_any(category_id, chain, hour)]
    return min(matching, key=specificity, default=None)


def load_rules(session: Session) -> tuple[Rule, ...]:
    """The stored routing rules as plain data, in a stable order (ties go to the older rule)."""
    return tuple(_as_rule(r) for r in session.scalars(select(RoutingRule).order_by(RoutingRule.id)))


def _as_rule(r: RoutingRule) -> Rule:
    return Rule(r.category_id, r.agency_id, r.admin_unit_id, r.hour_from, r.hour_to, r.priority, r.id)


@dataclass
class _RoutingCache:
    """What ``choose_agency`` has read in one session: rules and default agency per category, unit parents."""

    rules: dict[int, tuple[tuple[Rule, ...], int | None]] = field(default_factory=dict)
    parents: dict[int, int | None] = field(default_factory=dict)


def _cache(session: Session) -> _RoutingCache:
    # Per session (one unit of work of the intake job), so edits to rules show up in the next one.
    cache = session.info.get("routing")
    if not isinstance(cache, _RoutingCache):
        cache = session.info["routing"] = _RoutingCache()
    return cache


def _category_rules(session: Session, cache: _RoutingCache, category_id: int) -> tuple[tuple[Rule, ...], int | None]:
    if category_id not in cache.rules:
        # Rules that hand reports to a deactivated agency are skipped: nobody would read them there.
        query = (
            select(RoutingRule)
            .join(Agency, Agency.id == RoutingRule.agency_id)
            .where(RoutingRule.category_id == category_id, Agency.active)
            .order_by(RoutingRule.id)
        )
        rules = tuple(_as_rule(r) for r in session.scalars(query))
        default = session.scalar(select(Category.default_agency_id).where(Category.id == category_id))
        cache.rules[category_id] = (rules, default)
    return cache.rules[category_id]


def unit_parents(session: Session, admin_unit_id: int) -> tuple[int, ...]:
    """The unit's parents, nearest first (ward → district → province); cached for the session."""
    cache = _cache(session)
    chain: list[int] = []
    current: int | None = admin_unit_id
    while current is not None and len(chain) < MAX_DEPTH:
        if current not in cache.parents:
            cache.parents[current] = session.scalar(select(AdminUnit.parent_id).where(AdminUnit.id == current))
        current = cache.parents[current]
        if current is None or current in chain or current == admin_unit_id:
            break
        chain.append(current)
    return tuple(chain)


@dataclass(frozen=True)
class Decision:
    """Where a report goes and why: the rule that decided, or (``rule`` None) the category's default agency."""

    agency_id: int | None
    rule: Rule | None
    rules: tuple[Rule, ...]  # the category's rules that were weighed (those to an inactive agency are not)
    parents: tuple[int, ...]  # the unit's parents, nearest first: a rule on one of them covers the unit


def decide(session: Session, category_id: int, admin_unit_id: int | None, hour: int) -> Decision:
    """The decision for a report of this category in this unit at this local hour (the admins' tester too)."""
    rules, default = _category_rules(session, _cache(session), category_id)
    parents = unit_parents(session, admin_unit_id) if admin_unit_id is not None else ()
    rule = best_rule(rules, category_id, admin_unit_id, hour, parents)
    return Decision(rule.agency_id if rule else default, rule, rules, parents)


def choose_agency(
    session: Session, category_id: int, admin_unit_id: int | None, at: datetime, tz: tzinfo
) -> int | None:
    """The agency for a report of this category in this unit at ``at`` (naive UTC), else the category's default."""
    return decide(session, category_id, admin_unit_id, to_local(at, tz).hour).agency_id
