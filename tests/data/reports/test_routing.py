"""Routing: the pure ``route`` (priority, specificity, hours over midnight) and ``choose_agency`` on both backends."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from data.core.runtime import Runtime
from data.models import AdminUnit, Agency, Category, RoutingRule
from data.reports.routing import Rule, choose_agency, decide, load_rules, route

HUE = ZoneInfo("Asia/Ho_Chi_Minh")
NOON = datetime(2026, 10, 19, 5, 0)  # naive UTC: 12:00 in Huế
NIGHT = datetime(2026, 10, 19, 16, 30)  # 23:30 in Huế, still 19/10 in UTC


def test_route_priority_then_specificity() -> None:
    rules = [
        Rule(category_id=1, agency_id=10),
        Rule(category_id=1, agency_id=20, admin_unit_id=5, priority=50),
        Rule(category_id=1, agency_id=30, hour_from=22, hour_to=5, priority=10),
    ]
    assert route(rules, 1, 7, 12) == 10  # another district: the city agency
    assert route(rules, 1, 5, 12) == 20  # its district's committee
    assert route(rules, 1, None, 12) == 10  # no unit known: only unit-free rules
    assert route(rules, 2, 5, 12) is None  # no rule for the category


def test_route_hours_wrap_midnight() -> None:
    rules = [Rule(1, 20, admin_unit_id=5, priority=50), Rule(1, 30, hour_from=22, hour_to=5, priority=10)]
    assert [route(rules, 1, 5, h) for h in (21, 22, 23, 0, 4, 5)] == [20, 30, 30, 30, 30, 20]
    day = [Rule(1, 40, hour_from=7, hour_to=17, priority=10), Rule(1, 10)]
    assert [route(day, 1, None, h) for h in (6, 7, 16, 17)] == [10, 40, 40, 10]


def test_route_parents_nearest_first() -> None:
    ward, district, province = 100, 10, 1
    rules = [
        Rule(1, 91, admin_unit_id=province, priority=50),
        Rule(1, 92, admin_unit_id=district, priority=50),
        Rule(1, 93, admin_unit_id=ward, priority=50),
        Rule(1, 94),
    ]
    assert route(rules, 1, ward, 12, parents=(district, province)) == 93
    assert route(rules[:2], 1, ward, 12, parents=(district, province)) == 92  # a district rule covers its wards
    assert route(rules[:1] + rules[3:], 1, ward, 12, parents=(district, province)) == 91
    assert route(rules[1:], 1, 101, 12, parents=(11, province)) == 94  # another district: the city-wide rule
    # Priority first: an urgent city-wide night rule beats the ward's own rule.
    night = [*rules, Rule(1, 95, hour_from=22, hour_to=6, priority=10)]
    assert route(night, 1, ward, 23, parents=(district, province)) == 95
    # At equal priority and unit, a rule limited to some hours beats the all-day one.
    shifts = [Rule(1, 96, admin_unit_id=district), Rule(1, 97, admin_unit_id=district, hour_from=8, hour_to=12)]
    assert route(shifts, 1, ward, 9, parents=(district,)) == 97
    assert route(shifts, 1, ward, 13, parents=(district,)) == 96


def _unit(s: Session, level: str, code: str, parent: AdminUnit | None = None) -> AdminUnit:
    unit = AdminUnit(level=level, code=code, name=f"{level} {code}", parent_id=parent.id if parent else None)
    s.add(unit)
    s.flush()
    return unit


def _agency(s: Session, code: str, active: bool = True) -> int:
    agency = Agency(code=code, name=code, active=active)
    s.add(agency)
    s.flush()
    return agency.id


def test_choose_agency_walks_parents(runtime: Runtime) -> None:
    with runtime.session() as s:
        province = _unit(s, "province", "46")
        d1, d2 = _unit(s, "district", "474", province), _unit(s, "district", "476", province)
        w1, w1b, w2 = _unit(s, "ward", "19753", d1), _unit(s, "ward", "19754", d1), _unit(s, "ward", "19900", d2)
        city, d1_committee, w1b_committee = _agency(s, "hepco"), _agency(s, "ubnd-474"), _agency(s, "ubnd-19754")
        police, retired = _agency(s, "ca-tp"), _agency(s, "old-unit", active=False)
        lighting = Category(code="chieu-sang", name="Chiếu sáng", name_en="Lighting", default_agency_id=city)
        orphan = Category(code="khac", name="Khác", name_en="Other")
        s.add_all([lighting, orphan])
        s.flush()
        s.add_all([
            RoutingRule(category_id=lighting.id, admin_unit_id=d1.id, agency_id=d1_committee, priority=50),
            RoutingRule(category_id=lighting.id, admin_unit_id=w1b.id, agency_id=w1b_committee, priority=50),
            RoutingRule(category_id=lighting.id, hour_from=22, hour_to=5, agency_id=police, priority=10),
            RoutingRule(category_id=lighting.id, admin_unit_id=d2.id, agency_id=retired, priority=40),
        ])  # fmt: skip
        s.flush()

        def choose(unit: AdminUnit | None, at: datetime = NOON, category: Category = lighting) -> int | None:
            return choose_agency(s, category.id, unit.id if unit else None, at, HUE)

        assert choose(w1) == d1_committee  # the district's rule covers its ward
        assert choose(d1) == d1_committee
        assert choose(w1b) == w1b_committee  # a ward's own rule beats its district's
        assert choose(w2) == city  # d2's rule hands to a deactivated agency: the category's default
        assert choose(None) == city
        assert choose(w1, NIGHT) == police  # 23:30 local, though 16:30 in UTC
        assert choose(w1, datetime(2026, 10, 19, 21, 59)) == police  # 04:59 local
        assert choose(w1, datetime(2026, 10, 19, 22, 0)) == d1_committee  # 05:00 local: the night rule has ended
        assert choose(None, category=orphan) is None
        assert len(load_rules(s)) == 4


def test_choose_agency_sees_new_rules_in_a_new_session(runtime: Runtime) -> None:
    with runtime.session() as s:
        province = _unit(s, "province", "46")
        ward = _unit(s, "ward", "19753", _unit(s, "district", "474", province))
        city, ward_committee = _agency(s, "hepco"), _agency(s, "ubnd-19753")
        trash = Category(code="rac", name="Rác thải", name_en="Trash", default_agency_id=city)
        s.add(trash)
        s.flush()
        ids = (trash.id, ward.id, province.id, ward_committee)
        assert choose_agency(s, trash.id, ward.id, NOON, HUE) == city
    category_id, ward_id, province_id, committee = ids
    with runtime.session() as s:
        s.add(RoutingRule(category_id=category_id, admin_unit_id=province_id, agency_id=committee, priority=50))
        s.flush()
        assert choose_agency(s, category_id, ward_id, NOON, HUE) == committee  # a province rule reaches its wards


def test_decide_names_the_rule_that_decided(runtime: Runtime) -> None:
    """The admins' tester asks ``decide``, the function ``choose_agency`` answers with: same agency, and why."""
    with runtime.session() as s:
        province = _unit(s, "province", "46")
        district = _unit(s, "district", "474", province)
        ward, other = _unit(s, "ward", "19753", district), _unit(s, "ward", "19900", province)
        city, committee, police = _agency(s, "hepco"), _agency(s, "ubnd-474"), _agency(s, "ca-tp")
        retired = _agency(s, "old-unit", active=False)
        lighting = Category(code="chieu-sang", name="Chiếu sáng", name_en="Lighting", default_agency_id=city)
        s.add(lighting)
        s.flush()
        rules = [RoutingRule(category_id=lighting.id, admin_unit_id=district.id, agency_id=committee, priority=50),
                 RoutingRule(category_id=lighting.id, hour_from=22, hour_to=5, agency_id=police, priority=10),
                 RoutingRule(category_id=lighting.id, admin_unit_id=other.id, agency_id=retired, priority=1)]
        s.add_all(rules)
        s.flush()
        by_district, at_night, _ = (r.id for r in rules)
        cases = {(ward.id, 12): (committee, by_district), (ward.id, 22): (police, at_night),
                 (other.id, 12): (city, None), (None, 3): (police, at_night)}
        for (unit_id, hour), (agency, rule_id) in cases.items():
            decision = decide(s, lighting.id, unit_id, hour)
            assert (decision.agency_id, decision.rule and decision.rule.id) == (agency, rule_id), (unit_id, hour)
            at = datetime(2026, 10, 19, (hour - 7) % 24, 0)  # that local hour, in naive UTC
            assert choose_agency(s, lighting.id, unit_id, at, HUE) == agency
        weighed = decide(s, lighting.id, ward.id, 12)
        assert [r.id for r in weighed.rules] == [by_district, at_night]  # not the rule to a retired agency
        assert weighed.parents == (district.id, province.id)
