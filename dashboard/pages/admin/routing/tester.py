"""The tester's form and its one callback: the router's decision, explained."""

from __future__ import annotations

import re
from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, html
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.auth import runtime_of
from dashboard.i18n import t
from dashboard.messages import field_label
from dashboard.page_callbacks import PageCallbacks
from dashboard.pages.admin.common import as_int, failure
from dashboard.pages.admin.menus import NONE_VALUE, Options, with_none
from dashboard.pages.admin.routing import ids
from data.core.errors import FieldError
from data.models import AdminUnit, Agency
from data.reports.routing import Decision, Rule, decide

callbacks = PageCallbacks()
TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def form(categories: Options, units: Options) -> Any:
    def field(name: str, control: Any) -> Any:
        return dbc.Col([dbc.Label(field_label(name), html_for=control.id), control], md=4)

    return dbc.Row([
        field("category_id", dbc.Select(id=ids.CATEGORY, options=categories,
                                        value=categories[0]["value"] if categories else None)),
        field("admin_unit_id", dbc.Select(id=ids.UNIT, options=with_none(units, t("adm.route.no_unit")),
                                          value=NONE_VALUE)),
        field("time", dbc.Input(id=ids.TIME, type="time", value="22:00")),
    ], className="g-2 mb-3")


def hour_of(text: str | None) -> int:
    """The hour of an "HH:MM" local time."""
    found = TIME.fullmatch((text or "").strip())
    if not found:
        raise FieldError("time", "bad_time", "Giờ phải có dạng HH:MM, ví dụ 22:00 (time as HH:MM).")
    return int(found.group(1))


def _names(session: Session, decision: Decision) -> tuple[dict[int, str], dict[int, str]]:
    agencies = {r.agency_id for r in decision.rules} | ({decision.agency_id} if decision.agency_id else set())
    units = {r.admin_unit_id for r in decision.rules if r.admin_unit_id is not None}
    agency_names = session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(agencies))).tuples()
    unit_names = session.execute(select(AdminUnit.id, AdminUnit.name).where(AdminUnit.id.in_(units))).tuples()
    return {i: n for i, n in agency_names}, {i: n for i, n in unit_names}


def _hours(rule: Rule) -> str:
    if rule.hour_from is None or rule.hour_to is None:
        return t("adm.route.all_day")
    return f"{rule.hour_from:02d}:00–{rule.hour_to:02d}:00"


def _reason(decision: Decision, agencies: dict[int, str], units: dict[int, str], unit_id: int | None) -> str:
    rule = decision.rule
    if rule is None:
        return t("adm.route.by_default" if decision.agency_id else "adm.route.nobody")
    where = t("adm.route.every_unit") if rule.admin_unit_id is None else units.get(rule.admin_unit_id, "?")
    if rule.admin_unit_id is not None and rule.admin_unit_id != unit_id:
        where = t("adm.route.parent").format(unit=where)
    return t("adm.route.by_rule").format(id=rule.id, where=where, hours=_hours(rule), priority=rule.priority)


def _rules_table(decision: Decision, agencies: dict[int, str], units: dict[int, str], unit_id: int | None,
                 hour: int) -> Any:
    chain = ((unit_id,) if unit_id is not None else ()) + decision.parents
    head = ("adm.route.rule", "field.admin_unit_id", "adm.route.hours", "adm.route.priority", "field.agency_id",
            "adm.route.covers")
    body = []
    for rule in decision.rules:
        covers = rule.matches_any(rule.category_id, chain, hour)
        mark = "★ " + t("adm.route.decided") if rule == decision.rule else \
            t("adm.route.yes" if covers else "adm.route.no")
        body.append(html.Tr([html.Td(f"#{rule.id}"),
                             html.Td(units.get(rule.admin_unit_id, "?") if rule.admin_unit_id else
                                     t("adm.route.every_unit")),
                             html.Td(_hours(rule)), html.Td(rule.priority), html.Td(agencies.get(rule.agency_id, "?")),
                             html.Td(mark)], className="table-primary" if rule == decision.rule else None))
    if not body:
        return html.P(t("adm.route.no_rules"), id=ids.RULES)
    return dbc.Table([html.Thead(html.Tr([html.Th(t(k), scope="col") for k in head])), html.Tbody(body)],
                     size="sm", id=ids.RULES, className="align-middle")


@callbacks.callback(Output(ids.ANSWER, "children"), Input(ids.CATEGORY, "value"), Input(ids.UNIT, "value"),
                    Input(ids.TIME, "value"))
def answer(category: str | None, unit: str | None, time: str | None) -> Any:
    """Where a report of this category, in this unit, at this local time would go, and why."""
    category_id, unit_id = as_int(category), as_int(unit)
    if category_id is None:
        return html.P(t("adm.route.pick"))
    try:
        hour = hour_of(time)
    except FieldError as exc:
        return failure(exc, "admin-routing-error")
    with runtime_of().session() as session:
        decision = decide(session, category_id, unit_id, hour)
        agencies, units = _names(session, decision)
    agency = agencies.get(decision.agency_id, "?") if decision.agency_id else t("adm.route.unassigned")
    return html.Div([
        html.P([t("adm.route.goes_to") + " ", html.Strong(agency, id=ids.AGENCY)], className="mb-1"),
        html.P(_reason(decision, agencies, units, unit_id), id=ids.REASON),
        _rules_table(decision, agencies, units, unit_id, hour),
    ])
