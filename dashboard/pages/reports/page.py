"""The reports page: its registration, its layout, and the callbacks of its modules handed to Dash."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components import page_guard
from dashboard.filter_bar import filter_bar, filter_menus
from dashboard.i18n import t
from dashboard.pages.reports import actions, charts, export, grid, ids, panel, url
from data.reports.filters import FilterChoice

dash.register_page(__name__, path="/reports", name="reports", title="IOC – Phản ánh")
for part in (url, export, grid, charts, panel, actions):
    part.callbacks.register()


def layout(**query: Any) -> Any:
    refused = page_guard("reports")
    if refused is not None:
        return refused
    choice = FilterChoice.from_params(query)
    search = choice.search()
    menus = filter_menus()
    side = html.Div([
        html.Div(id=ids.ACTION_MESSAGE, role="status"),
        html.Div(dbc.Alert(t("rep.panel.pick"), color="light"), id=ids.PANEL),
        actions.action_form(menus),
    ], className="ioc-report-panel", style={"maxHeight": "78vh", "overflowY": "auto"})
    return html.Div([
        html.H1(t("rep.title"), className="h4"),
        filter_bar(ids.FILTERS, choice, menus),
        html.Div([html.Span(id=ids.TOTAL, className="text-secondary small me-3"), export.export_links(search)],
                 className="d-flex align-items-center mb-2"),
        html.Div(id=ids.EXPORT_MESSAGE, role="status"),
        dbc.Row([dbc.Col(grid.grid(), lg=7), dbc.Col(side, lg=5)], className="g-3"),
        dbc.Row([
            dbc.Col(charts.graph(ids.CHART_CATEGORY), lg=6), dbc.Col(charts.graph(ids.CHART_CHANNEL), lg=6),
            dbc.Col(charts.graph(ids.CHART_AGENCY), lg=6), dbc.Col(charts.graph(ids.CHART_TREND), lg=6),
        ], className="mt-3 g-3"),
        dcc.Store(id=ids.QUERY, data=search),
        dcc.Store(id=ids.SELECTED),
        dcc.Store(id=ids.VERSION, data=0),
        dcc.Store(id=ids.PENDING),
        dcc.Store(id=ids.UPDATED_ROW),
        dcc.Store(id=ids.GRID_SYNC),
        dcc.Store(id=ids.EXPORT_TEXTS, data=export.export_texts()),
    ])
