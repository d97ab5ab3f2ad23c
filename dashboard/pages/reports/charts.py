"""Charts of the filtered reports: by category, channel and agency, and received / resolved per day."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import plotly.graph_objects as go
from dash import Input, Output, dcc

from dashboard.auth import runtime_of
from dashboard.filter_bar import viewer_filter
from dashboard.i18n import lang, t, t_enum
from dashboard.page_callbacks import PageCallbacks
from dashboard.pages.reports import ids
from data.reports.queries import breakdown, choices, daily_trend

CHART_LAYOUT = {"height": 320, "margin": {"l": 10, "r": 10, "t": 40, "b": 10}}
callbacks = PageCallbacks()


def graph(ident: str) -> Any:
    """An empty chart, drawn by ``charts`` once the page is shown."""
    return dcc.Graph(id=ident, config={"displayModeBar": False}, figure=go.Figure(layout=CHART_LAYOUT))


@callbacks.callback(
    Output(ids.CHART_CATEGORY, "figure"),
    Output(ids.CHART_CHANNEL, "figure"),
    Output(ids.CHART_AGENCY, "figure"),
    Output(ids.CHART_TREND, "figure"),
    Input(ids.QUERY, "data"),
)
def charts(search: str | None) -> Any:
    f = viewer_filter(search)
    en = lang() == "en"
    with runtime_of().session() as session:
        menus = choices(session)
        by_category = breakdown(session, f, "category")
        by_channel = breakdown(session, f, "channel")
        by_agency = breakdown(session, f, "agency", limit=15)
        trend = daily_trend(session, f, runtime_of().settings.tz)
    categories = {i: (e if en else v) for i, v, e in menus["categories"]}
    agencies = {i: (e if en else v) for i, v, e in menus["agencies"]}
    return (
        _bars([(categories.get(k, t("rep.none")), n) for k, n in by_category], t("rep.by_category")),
        _pie([(t_enum("channel", k), n) for k, n in by_channel], t("rep.by_channel")),
        _bars([(agencies.get(k, t("rep.unassigned")), n) for k, n in by_agency], t("rep.by_agency")),
        _trend(trend),
    )


def _bars(counts: list[tuple[str, int]], title: str) -> go.Figure:
    counts = list(reversed(counts))  # largest on top
    figure = go.Figure(go.Bar(y=[k for k, _ in counts], x=[n for _, n in counts], orientation="h"))
    figure.update_layout(title=title, **CHART_LAYOUT)
    figure.update_yaxes(automargin=True)
    return figure


def _pie(counts: list[tuple[str, int]], title: str) -> go.Figure:
    figure = go.Figure(go.Pie(labels=[k for k, _ in counts], values=[n for _, n in counts], hole=0.45))
    figure.update_layout(title=title, **CHART_LAYOUT)
    return figure


def fill_days(rows: list[tuple[date, int, int]]) -> list[tuple[date, int, int]]:
    """The daily series with the days that had no report as zeros (a line must not jump over them)."""
    if not rows:
        return []
    known = {day: (a, b) for day, a, b in rows}
    first, last = rows[0][0], rows[-1][0]
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [(d, *known.get(d, (0, 0))) for d in days]


def _trend(rows: list[tuple[date, int, int]]) -> go.Figure:
    series = fill_days(rows)
    days = [d.isoformat() for d, _, _ in series]
    figure = go.Figure([
        go.Scatter(x=days, y=[a for _, a, _ in series], mode="lines", name=t("rep.trend.received")),
        go.Scatter(x=days, y=[b for _, _, b in series], mode="lines", name=t("rep.trend.resolved")),
    ])
    figure.update_layout(title=t("rep.by_day"), legend={"orientation": "h", "y": -0.15}, **CHART_LAYOUT)
    return figure
