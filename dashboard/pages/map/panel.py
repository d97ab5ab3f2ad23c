"""A ward's panel: a click on a unit of the boundaries layer shows its figures under the map's filter."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import Input, Output, html
from dash.exceptions import PreventUpdate
from sqlalchemy import select

from dashboard.auth import runtime_of
from dashboard.components import data_attrs, fmt_number
from dashboard.i18n import lang, t, t_enum
from dashboard.page_callbacks import PageCallbacks
from dashboard.pages.map import ids
from dashboard.pages.map.playback import shown_filter
from data.models import AdminUnit, utcnow
from data.reports.queries import breakdown, choices
from layers.boundaries import UnitCounts, roll_up, unit_counts, unit_figures

callbacks = PageCallbacks()

callbacks.clientside(
    """
    function (feature) {
        var id = feature && feature.properties ? feature.properties.id : null;
        return id === null || id === undefined ? window.dash_clientside.no_update : id;
    }
    """,
    Output(ids.UNIT, "data"),
    Input(ids.BOUNDARIES, "clickData"),
    prevent_initial_call=True,
)


@callbacks.callback(
    Output(ids.PANEL, "children"),
    Input(ids.UNIT, "data"),
    Input(ids.WINDOWS, "data"),
    Input(ids.STEP, "value"),
    prevent_initial_call=True,
)
def unit_panel(unit_id: int | None, windows: dict[str, Any], step: int | None) -> Any:
    if unit_id is None:
        raise PreventUpdate
    f = shown_filter(windows, step)
    with runtime_of().session() as session:
        unit = session.execute(select(AdminUnit.id, AdminUnit.name, AdminUnit.level, AdminUnit.population)
                               .where(AdminUnit.id == int(unit_id))).one_or_none()
        if unit is None:
            return dbc.Alert(t("map.panel.gone"), color="warning")
        inside = replace(f, admin_unit_ids=(unit.id,))
        children = session.scalars(select(AdminUnit.id).where(AdminUnit.parent_id == unit.id))
        parent_of = {child: unit.id for child in children}
        counts = roll_up(unit_counts(session, inside, utcnow()), [unit.id], parent_of).get(unit.id, UnitCounts())
        by_category = breakdown(session, inside, "category", limit=8)
        by_status = breakdown(session, inside, "status")
        menus = choices(session)
    figures = unit_figures(counts, unit.population)
    en = lang() == "en"
    categories = {i: (e if en else v) for i, v, e in menus["categories"]}
    return _panel(unit.id, unit.name, unit.population, figures,
                  [(categories.get(k, t("rep.none")), n) for k, n in by_category],
                  [(t_enum("status", k), n) for k, n in by_status])


def _kpi(label: str, value: str, key: str) -> Any:
    return html.Div([html.Div(value, className="fs-5 fw-semibold", id=ids.panel_figure(key)),
                     html.Div(label, className="small text-secondary")], className="col-6 mb-2")


def _counts(title: str, rows: list[tuple[str, int]], ident: str) -> Any:
    items = [html.Li([html.Span(name), html.Span(fmt_number(n), className="float-end")], className="small")
             for name, n in rows]
    return html.Div([html.H3(title, className="h6 mt-2"),
                     html.Ul(items or [html.Li(t("map.panel.none"), className="small text-secondary")],
                             className="list-unstyled mb-1", id=ident)])


def _panel(unit_id: int, name: str, population: int | None, figures: dict[str, Any],
           by_category: list[tuple[str, int]], by_status: list[tuple[str, int]]) -> Any:
    sat = figures["satisfaction"]
    kpis = html.Div([
        _kpi(t("map.fig.reports"), fmt_number(figures["reports"]), "reports"),
        _kpi(t("map.fig.open"), fmt_number(figures["open"]), "open"),
        _kpi(t("map.fig.overdue_pct"), "—" if figures["overdue_pct"] is None
             else f"{fmt_number(figures['overdue_pct'], 1)} %", "overdue"),
        _kpi(t("map.fig.per_1000"), fmt_number(figures["per_1000"], 2), "per-1000"),
        _kpi(t("map.fig.satisfaction"), "—" if sat is None else f"{fmt_number(sat, 2)} ★", "satisfaction"),
        _kpi(t("map.fig.population"), fmt_number(population), "population"),
    ], className="row g-0")
    return html.Div(dbc.Card(dbc.CardBody([
        html.H2(name, className="h5", id=ids.PANEL_NAME), kpis,
        _counts(t("rep.by_category"), by_category, ids.PANEL_CATEGORIES),
        _counts(t("map.panel.by_status"), by_status, ids.PANEL_STATUSES),
        html.A(t("map.panel.reports"), href=f"/reports?{urlencode({'area': unit_id, 'period': 'all'})}",
               className="small", id=ids.PANEL_LINK),
    ])), **data_attrs(unit=unit_id))
