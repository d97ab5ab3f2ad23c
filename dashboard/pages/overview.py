"""Tổng quan: the headline counts, latest KPIs and newest reports, redrawn when the live feed says so."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, callback, clientside_callback, dcc, html
from flask_login import current_user

from dashboard.auth import runtime_of
from dashboard.components import fmt_time, kpi_card, page_guard, report_table, stat_card
from dashboard.i18n import t
from data.models import Category, utcnow
from data.overview import latest_kpis, overview
from data.reports.filters import ReportFilter
from data.reports.queries import counts_by, recent_reports

dash.register_page(__name__, path="/", name="overview", title="IOC – Tổng quan")


def layout(**_: Any) -> Any:
    refused = page_guard("overview")
    if refused is not None:
        return refused
    return html.Div([
        dcc.Interval(id="overview-tick", interval=120_000),  # a backstop: the live feed drives the refresh
        dcc.Store(id="overview-live"),
        html.Div(id="overview-body", children=_body()),
    ])


# Only news of reports or alerts redraws the page; sifted in the browser, so other news costs no request.
clientside_callback(
    """function (tick) {
        var topics = (tick && tick.topics) || [];
        if (topics.indexOf("reports") < 0 && topics.indexOf("alerts") < 0) { return window.dash_clientside.no_update; }
        return tick.at;
    }""",
    Output("overview-live", "data"), Input("live-tick", "data"), prevent_initial_call=True)


@callback(Output("overview-body", "children"), Input("overview-tick", "n_intervals"),
          Input("overview-live", "data"), prevent_initial_call=True)
def refresh(_: int | None, _live: int | None) -> Any:
    return _body()


def _viewer_agency() -> int | None:
    """The agency whose reports this viewer is limited to (agency staff), None for those who see all."""
    return ReportFilter().seen_by(str(current_user.role), current_user.agency_id).agency_id


def _body() -> Any:
    now = utcnow()
    with runtime_of().session() as session:
        ov = overview(session, now, runtime_of().settings.tz)
        settings = runtime_of().settings
        kpis = latest_kpis(session, datetime.now(settings.tz).date(), settings.kpi_grace_periods, limit=8)
        recent = recent_reports(session, limit=10, agency_id=_viewer_agency())
        by_category = counts_by(session, Category.name, since=now - timedelta(days=30))
    stats = [
        (t("ov.open"), ov.open_reports, "overview-open", "primary"),
        (t("ov.overdue"), ov.overdue_reports, "overview-overdue", "danger"),
        (t("ov.today"), ov.received_today, "overview-today", "info"),
        (t("ov.resolved30"), ov.resolved_30d, "overview-resolved", "success"),
        (f"{t('ov.cameras')} / {ov.cameras_total}", ov.cameras_online, "overview-cameras", "dark"),
        (t("ov.alerts"), ov.alerts_new, "overview-alerts", "warning"),
    ]
    figure = go.Figure(go.Bar(x=[n for _, n in by_category], y=[c for c, _ in by_category],
                              orientation="h", marker_color="#0d6efd"))
    figure.update_layout(height=320, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                         yaxis={"autorange": "reversed"})
    return [
        dbc.Row([dbc.Col(stat_card(*s), xs=6, md=4, xl=2, className="mb-3") for s in stats]),
        html.Div(t("ov.latest_kpis"), className="ioc-section-title"),
        dbc.Row([dbc.Col(kpi_card(k), xs=6, md=3, className="mb-3") for k in kpis],
                id="overview-kpis"),
        dbc.Row([
            dbc.Col([html.Div(t("ov.recent"), className="ioc-section-title"),
                     report_table(recent, "overview-recent")], lg=7),
            dbc.Col([html.Div(t("ov.by_category"), className="ioc-section-title"),
                     dcc.Graph(figure=figure, id="overview-by-category",
                               config={"displayModeBar": False})], lg=5),
        ]),
        html.Div(f"{t('ov.updated')} {fmt_time(now)}", className="text-secondary small"),
    ]
