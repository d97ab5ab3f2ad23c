"""Chỉ số: every KPI of the catalogue as a card, grouped by theme, coloured by status."""

from __future__ import annotations

from itertools import groupby
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard.auth import runtime_of
from dashboard.components import kpi_card, page_guard
from dashboard.i18n import t
from data.queries import latest_kpis

dash.register_page(__name__, path="/kpis", name="kpis", title="IOC – Chỉ số")

THEME_ORDER = ("citizen_reports", "economy", "budget", "public_services", "education", "health",
               "tourism", "environment", "security")


def layout(**_: Any) -> Any:
    refused = page_guard("kpis")
    if refused is not None:
        return refused
    with runtime_of().session() as session:
        cards = latest_kpis(session)
    order = {theme: i for i, theme in enumerate(THEME_ORDER)}
    cards.sort(key=lambda c: (order.get(c.theme, len(order)), c.code))
    sections: list[Any] = [html.H1(t("kpi.title"), className="h4")]
    for theme, group in groupby(cards, key=lambda c: c.theme):
        sections.append(html.Div(t(f"theme.{theme}"), className="ioc-section-title"))
        sections.append(dbc.Row([dbc.Col(kpi_card(c), xs=6, md=4, xl=3, className="mb-3")
                                 for c in group], id=f"kpis-theme-{theme}"))
    return html.Div(sections, id="kpis-body")
