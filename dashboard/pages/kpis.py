"""Chỉ số: the leaders' page. Every KPI as a card (value, target, status, changes, sparkline,
freshness), grouped by theme in the configured order; ``?wall=1`` for a wall screen (large type,
no menu, refreshes itself). A card opens its detail, /kpis/<code>."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash
from dash import Input, Output, callback, dcc, html

from dashboard.auth import runtime_of
from dashboard.components import kpi_sections, page_guard
from dashboard.i18n import t
from data.kpis.board import board
from data.models import utcnow

dash.register_page(__name__, path="/kpis", name="kpis", title="IOC – Chỉ số")


def cards() -> list[Any]:
    """The theme sections, built from two queries (the catalogue and every card's values)."""
    runtime = runtime_of()
    settings = runtime.settings
    with runtime.session() as session:
        found = board(session, datetime.now(settings.tz).date(), settings.kpi_grace_periods)
    return kpi_sections(found, settings.kpi_theme_order, utcnow())


def layout(wall: str = "", **_: Any) -> Any:
    refused = page_guard("kpis")
    if refused is not None:
        return refused
    on_wall = wall == "1"
    head = html.Div([
        html.H1(t("kpi.title"), className="h4 d-inline me-3"),
        dcc.Link(t("kpi.wall"), href="/kpis?wall=1", className="small", id="kpis-wall-link") if not on_wall else None,
    ])
    refresh = dcc.Interval(id="kpis-refresh", interval=runtime_of().settings.kpi_wall_refresh_s * 1000,
                           disabled=not on_wall)
    return html.Div([head, refresh, html.Div(cards(), id="kpis-cards")], id="kpis-body",
                    className="ioc-kpi-wall" if on_wall else "")


@callback(Output("kpis-cards", "children"), Input("kpis-refresh", "n_intervals"), prevent_initial_call=True)
def refresh_wall(_: int) -> list[Any]:
    """A wall screen stays up for days: its cards are rebuilt now and then, the page is not reloaded."""
    return cards()
