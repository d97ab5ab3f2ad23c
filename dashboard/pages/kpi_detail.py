"""One KPI in detail (/kpis/<code>): trend with target, breakdown by area and by agency, other
provinces for comparison, the series as CSV (PNG from each chart's camera button)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from dashboard.auth import runtime_of
from dashboard.components import kpi_card, page_guard
from dashboard.i18n import lang, t
from data.kpis.board import Breakdown, KpiDetail, detail, spec_and_series
from data.kpis.status import KpiPoint, KpiSpec, series_csv

dash.register_page(__name__, path_template="/kpis/<code>", name="kpi_detail", title="IOC – Chỉ số")

CHART_LAYOUT = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "template": "plotly_white"}
OURS, OTHERS = "#0d6efd", "#adb5bd"


def chart_config(filename: str) -> dcc.Graph.Config:
    """The modebar keeps only what a leader needs: the PNG download, named after the indicator."""
    return {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"],
            "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2}}


def trend_figure(spec: KpiSpec, series: list[KpiPoint]) -> go.Figure:
    """Values by period, with the target (per period when values carry one) as a dashed line."""
    periods = [p.period for p in series]
    figure = go.Figure(go.Scatter(x=periods, y=[p.value for p in series], mode="lines+markers",
                                  name=t("kpi.value"), line={"width": 3}))
    targets = [p.target if p.target is not None else spec.target for p in series]
    if any(v is not None for v in targets):
        figure.add_trace(go.Scatter(x=periods, y=targets, mode="lines", name=t("kpi.target"),
                                    line={"dash": "dash", "color": "#198754"}))
    figure.update_layout(title=t("kpi.trend"), height=380, yaxis_title=spec.unit,
                         legend={"orientation": "h", "y": -0.2}, **CHART_LAYOUT)
    figure.update_xaxes(type="category")
    return figure


def bars_figure(breakdown: Breakdown, title: str, unit: str, height_per_bar: int = 26) -> go.Figure:
    """A ranked horizontal bar chart, best on top; the city's own bar (name None) stands out."""
    rows = list(reversed(breakdown.rows))  # plotly draws the first bar at the bottom
    names = [t("kpi.ours") if name is None else name for name, _ in rows]
    figure = go.Figure(go.Bar(y=names, x=[v for _, v in rows], orientation="h",
                              marker_color=[OURS if name is None else OTHERS for name, _ in rows],
                              text=[f"{v:g}" for _, v in rows], textposition="auto"))
    figure.update_layout(title=title, height=max(220, 60 + height_per_bar * len(rows)), xaxis_title=unit,
                         **CHART_LAYOUT)
    figure.update_yaxes(automargin=True)
    return figure


def _breakdown_block(found: Breakdown | None, key: str, ident: str, spec: KpiSpec, extra: Any = None) -> Any:
    if found is None:
        return None
    graph = dcc.Graph(id=f"kpi-{ident}", figure=bars_figure(found, t(key).format(period=found.period), spec.unit),
                      config=chart_config(f"{spec.code}-{ident}"))
    return dbc.Col([graph, extra], lg=6, className="mb-3")


# The map's ward shading that shows a KPI of citizen reports best (layers/boundaries.MEASURES).
MAP_SHADE = {"reports_satisfaction_pct": "satisfaction", "reports_overdue": "overdue_pct",
             "reports_on_time_pct": "overdue_pct", "reports_received": "per_1000"}


def map_link(code: str) -> str:
    """The map with its wards shaded by the figure nearest this KPI, boundaries on."""
    return f"/map?shade={MAP_SHADE.get(code, 'open')}&layers=boundaries,density"


def _body(found: KpiDetail) -> Any:
    spec, en = found.spec, lang() == "en"
    facts = [f"{t('kpi.source')}: {found.source}" if found.source else None,
             f"{t('kpi.owner')}: {found.owner}" if found.owner else None]
    trend = (dcc.Graph(id="kpi-trend", figure=trend_figure(spec, found.series), config=chart_config(spec.code))
             if found.series else dbc.Alert(t("kpi.no_series"), color="light"))
    on_map = dcc.Link(t("kpi.on_map"), href=map_link(spec.code), id="kpi-map-link", className="small")
    return html.Div([
        dcc.Link(t("kpi.back"), href="/kpis", id="kpi-back", className="small"),
        html.H1(spec.name_en if en else spec.name, className="h4 mt-2", id="kpi-title"),
        dbc.Row([
            dbc.Col(kpi_card(found.card, link=False), md=4, xl=3, className="mb-3"),
            dbc.Col([trend,
                     html.Div([dbc.Button(t("kpi.csv"), id="kpi-csv-button", color="secondary", size="sm",
                                          className="me-3"),
                               html.Span(t("kpi.png_hint"), className="small text-secondary"),
                               dcc.Download(id="kpi-csv")]),
                     html.Div(" · ".join(f for f in facts if f), className="small text-secondary mt-2")],
                    md=8, xl=9),
        ]),
        dbc.Row([b for b in (
            _breakdown_block(found.by_unit, "kpi.by_unit", "by-unit", spec, on_map),
            _breakdown_block(found.by_agency, "kpi.by_agency", "by-agency", spec),
            _breakdown_block(found.places, "kpi.places", "places", spec),
        ) if b is not None], className="mt-2"),
        dcc.Store(id="kpi-code", data=spec.code),
    ])


def _detail(code: str) -> KpiDetail | None:
    runtime = runtime_of()
    settings = runtime.settings
    with runtime.session() as session:
        return detail(session, code, datetime.now(settings.tz).date(), settings.kpi_grace_periods)


def layout(code: str = "", **_: Any) -> Any:
    refused = page_guard("kpis")
    if refused is not None:
        return refused
    found = _detail(code)
    if found is None:
        return html.Div([dcc.Link(t("kpi.back"), href="/kpis", className="small"),
                         dbc.Alert(t("kpi.unknown").format(code=code), color="warning", className="mt-2")])
    return _body(found)


@callback(Output("kpi-csv", "data"), Input("kpi-csv-button", "n_clicks"), State("kpi-code", "data"),
          prevent_initial_call=True)
def download_csv(clicks: int | None, code: str) -> dict[str, Any]:
    if not clicks:
        raise PreventUpdate
    with runtime_of().session() as session:
        found = spec_and_series(session, code)
    if found is None:
        raise PreventUpdate
    return dcc.send_string(series_csv(*found, runtime_of().settings.tz), f"{code}.csv")
