"""Môi trường: every environment sensor's latest value in its band, and the history of one against its
thresholds (VN_AQI bands for air, the gauge's flood alarm levels for rivers). Readings come in through
data/monitoring/sensors.py; the page redraws when the live feed says a sensor raised an alert, and every minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, callback, dcc, html

from dashboard.auth import runtime_of
from dashboard.components import fmt_time, page_guard
from dashboard.i18n import lang, t
from data.models import MapFeature, utcnow
from data.monitoring import sensors
from layers.sensors import sensor_properties

dash.register_page(__name__, path="/environment", name="environment", title="IOC – Môi trường")

RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
METRIC_OF = {"air": "aqi", "water": "water_level_m"}


def layout(sensor: str | None = None, **_: Any) -> Any:
    refused = page_guard("environment")
    if refused is not None:
        return refused
    with runtime_of().session() as session:  # the options now, so a ?sensor= from the URL is a valid choice
        options = [{"label": f.name, "value": f.code} for f in sensors.sensors(session)]
    return html.Div([
        dcc.Interval(id="environment-tick", interval=60_000),
        html.H1(t("env.title"), className="h4"),
        dbc.Row([
            dbc.Col(html.Div(id="environment-table"), lg=5),
            dbc.Col([
                dbc.Row([
                    dbc.Col(dcc.Dropdown(id="environment-sensor", value=sensor, clearable=False, options=options,
                                         placeholder=t("env.pick")), md=8),
                    dbc.Col(dbc.RadioItems(id="environment-range", value="24h", inline=True, options=[
                        {"label": t(f"env.range.{k}"), "value": k} for k in RANGES]), md=4),
                ], className="g-2 mb-2"),
                dcc.Graph(id="environment-chart", config={"displaylogo": False}),
            ], lg=7),
        ]),
    ])


def _latest_row(feature: MapFeature) -> Any:
    shown = sensor_properties(feature.kind, feature.properties or {}, lang())
    at = (feature.properties or {}).get(f"{METRIC_OF.get(feature.kind, '')}_at")
    when = fmt_time(datetime.fromisoformat(at)) if at else "—"
    return html.Tr([
        html.Td(html.Span("●", style={"color": shown["color"]}, className="me-1")),
        html.Td(feature.name), html.Td(shown["value"], id=f"environment-value-{feature.code}"), html.Td(when),
    ])


@callback(Output("environment-table", "children"),
          Input("environment-tick", "n_intervals"), Input("live-tick", "data"))
def table(_: int | None, _live: Any) -> Any:
    with runtime_of().session() as session:
        features = sensors.sensors(session)
    head = html.Thead(html.Tr([html.Th(""), html.Th(t("env.col.sensor")), html.Th(t("env.col.value")),
                               html.Th(t("env.col.at"))]))
    if not features:
        return dbc.Alert(t("env.none"), color="secondary")
    return dbc.Table([head, html.Tbody([_latest_row(f) for f in features])], size="sm", hover=True,
                     id="environment-latest")


@callback(Output("environment-chart", "figure"), Input("environment-sensor", "value"),
          Input("environment-range", "value"), Input("environment-tick", "n_intervals"))
def chart(code: str | None, span: str, _: int | None) -> Any:
    figure = go.Figure()
    figure.update_layout(height=420, margin={"l": 40, "r": 10, "t": 30, "b": 40}, showlegend=False)
    if not code:
        return figure
    with runtime_of().session() as session:
        feature = next((f for f in sensors.sensors(session) if f.code == code), None)
        if feature is None:
            return figure
        metric = METRIC_OF[feature.kind]
        points = sensors.history(session, feature.id, metric, utcnow() - RANGES.get(span, RANGES["24h"]))
    tz = runtime_of().settings.tz
    figure.add_trace(go.Scatter(x=[at.replace(tzinfo=UTC).astimezone(tz) for at, _ in points],
                                y=[v for _, v in points], mode="lines+markers", name=metric))
    for value, label in _thresholds(feature):
        figure.add_hline(y=value, line_dash="dash", line_color="#dc3545", annotation_text=label)
    figure.update_layout(title=f"{feature.name} – {t(f'env.metric.{metric}')}")
    return figure


def _thresholds(feature: MapFeature) -> list[tuple[float, str]]:
    """The lines an operator reads the history against."""
    if feature.kind == "air":
        return [(sensors.AQI_WARNING, t("env.aqi_bad")), (sensors.AQI_CRITICAL, t("env.aqi_very_bad"))]
    alarms = sorted((feature.properties or {}).get("alarm_levels") or [])
    return [(level, f"{t('env.alarm')} {'I' * (i + 1)}") for i, level in enumerate(alarms)]
