"""Camera: the video wall. Tiles are played by assets/camera_tile.js through the stream gateway."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard.auth import runtime_of
from dashboard.components import page_guard
from dashboard.i18n import t
from data.queries import camera_rows

dash.register_page(__name__, path="/cameras", name="cameras", title="IOC – Camera")

LAYOUTS = {"1": 1, "2x2": 4, "3x3": 9, "4x4": 16}


def layout(layout: str = "2x2", group: str = "", **_: Any) -> Any:
    refused = page_guard("cameras")
    if refused is not None:
        return refused
    with runtime_of().session() as session:
        cameras = camera_rows(session)
    groups = sorted({c["group"] for c in cameras if c["group"]})
    return html.Div([
        html.Div([
            html.H1(t("cam.title"), className="h4 me-3 mb-0"),
            dcc.Dropdown(id="cameras-layout", value=layout if layout in LAYOUTS else "2x2",
                         clearable=False, options=list(LAYOUTS), style={"width": "110px"}),
            dcc.Dropdown(id="cameras-group", value=group, clearable=False, style={"width": "260px"},
                         options=[{"label": t("cam.all"), "value": ""}]
                         + [{"label": g, "value": g} for g in groups]),
        ], className="d-flex align-items-center gap-2 mb-2"),
        dcc.Store(id="cameras-list", data=cameras),
        html.Div(id="cameras-wall"),
    ])


@callback(Output("cameras-wall", "children"), Input("cameras-layout", "value"),
          Input("cameras-group", "value"), Input("cameras-list", "data"))
def wall(layout: str, group: str, cameras: list[dict[str, Any]]) -> Any:
    if not cameras:
        return dbc.Alert(t("cam.none"), color="secondary")
    chosen = [c for c in cameras if not group or c["group"] == group][: LAYOUTS.get(layout, 4)]
    side = {1: 1, 4: 2, 9: 3, 16: 4}[LAYOUTS.get(layout, 4)]
    return html.Div([_tile(c) for c in chosen], className="ioc-wall",
                    style={"gridTemplateColumns": f"repeat({side}, 1fr)"})


def _tile(camera: dict[str, Any]) -> Any:
    return html.Div([
        html.Div(className="ioc-tile", **{"data-camera-id": str(camera["id"]), "data-quality": "sub"}),
        html.Div(html.Span(camera["name"], className="ioc-tile-name"), className="ioc-tile-caption"),
    ], className="ioc-wall-cell", id=f"cameras-tile-{camera['id']}")
