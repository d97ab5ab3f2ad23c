"""Công khai: the transparency page anyone may open. Only published results, never a reporter."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html
from sqlalchemy import select

from dashboard.auth import runtime_of
from dashboard.components import fmt_time, report_table, stat_card
from dashboard.i18n import t, t_enum
from data.models import Category, Report, utcnow
from data.queries import public_summary, recent_reports

dash.register_page(__name__, path="/public", name="public", title="IOC – Công khai")


def layout(**_: Any) -> Any:
    with runtime_of().session() as session:
        summary = public_summary(session, since=utcnow() - timedelta(days=365))
        latest = recent_reports(session, limit=20, published_only=True)
    return html.Div([
        html.H1(t("pub.title"), className="h4"),
        dbc.Row([
            dbc.Col(stat_card(t("pub.received"), summary["received"], "public-received"), md=4),
            dbc.Col(stat_card(t("pub.resolved"), summary["resolved"], "public-resolved", "success"), md=4),
            dbc.Col(stat_card(t("pub.rating"), summary["avg_rating"], "public-rating", "warning"), md=4),
        ], className="mb-3"),
        dbc.InputGroup([
            dbc.Input(id="public-code", placeholder="HUE-2026-000123"),
            dbc.Button(t("pub.search"), id="public-search", color="primary"),
        ], className="mb-2", style={"maxWidth": "560px"}),
        html.Div(id="public-found", className="mb-3"),
        html.Div(t("pub.latest"), className="ioc-section-title"),
        report_table(latest, "public-latest", with_result=True),
    ])


@callback(Output("public-found", "children"), Input("public-search", "n_clicks"),
          Input("public-code", "n_submit"), State("public-code", "value"), prevent_initial_call=True)
def find(_: int | None, __: int | None, code: str | None) -> Any:
    code = (code or "").strip().upper()
    if not code:
        return dash.no_update
    with runtime_of().session() as session:
        row = session.execute(
            select(Report.tracking_code, Report.created_at, Report.status, Report.title,
                   Report.result_text, Report.rating, Category.name)
            .outerjoin(Category, Category.id == Report.category_id)
            .where(Report.tracking_code == code, Report.published.is_(True))).first()
    if row is None:
        return dbc.Alert(t("pub.notfound"), color="warning")
    return dbc.Card(dbc.CardBody([
        html.H2(row.tracking_code, className="h6"),
        html.Div(f"{fmt_time(row.created_at)} · {row.name or ''} · {t_enum('status', row.status)}"),
        html.P(row.title or "", className="mt-2 mb-1"),
        html.P(row.result_text or "", className="text-success"),
        html.Div("★" * int(row.rating or 0)),
    ]), id="public-result")
