"""The row above the map: the choropleth's figure, the exports, the link to the reports, and playback."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.i18n import t
from dashboard.pages.map import ids
from dashboard.pages.map.playback import slider, step_label
from layers.boundaries import MEASURES
from layers.density import STEP_UNITS
from layers.map_state import MapState


def toolbar(state: MapState, search: str, windows: dict[str, Any]) -> Any:
    shades = [{"label": t(f"map.shade.{key}"), "value": key} for key in MEASURES]
    return html.Div([
        html.Div([html.Span(t("map.shade"), className="small me-2"),
                  dbc.RadioItems(id=ids.SHADE, value=state.shade, options=shades, inline=True,
                                 className="small d-inline-block me-3"), _exports(search)],
                 className="d-flex flex-wrap align-items-center mb-1"),
        _playback(windows),
    ], className="mb-2")


def _exports(search: str) -> Any:
    return html.Span([
        dbc.Button(t("map.export.csv"), id=ids.EXPORT_CSV, size="sm", color="secondary", outline=True,
                   className="me-1"),
        dbc.Button(t("map.export.geojson"), id=ids.EXPORT_GEOJSON, size="sm", color="secondary", outline=True,
                   className="me-2"),
        html.A(t("map.to_reports"), id=ids.REPORTS_LINK, href=f"/reports{search}",
               className="btn btn-outline-primary btn-sm"),
    ])


def _playback(windows: dict[str, Any]) -> Any:
    top, marks = slider(windows)
    return dbc.Row([
        dbc.Col(dbc.Button("▶", id=ids.PLAY, size="sm", color="primary", title=t("map.play.title")), width="auto"),
        dbc.Col(dbc.RadioItems(id=ids.STEP_UNIT, value="day", inline=True, className="small",
                               options=[{"label": t(f"map.play.{u}"), "value": u} for u in STEP_UNITS]),
                width="auto"),
        dbc.Col(dcc.Slider(id=ids.STEP, min=0, max=top, step=1, value=top, marks=marks, included=False,
                           allow_direct_input=False), className="pt-1"),
        dbc.Col(html.Span(step_label(windows, top), id=ids.STEP_LABEL, className="small fw-semibold"),
                width="auto"),
    ], className="g-2 align-items-center")
