"""The report layers (density, shading) redrawn for a new filter, playback step, figure or zoom, and for new
or changed reports (``ids.REPORTS_LIVE``, set by ``live``): one cached answer per write for every screen."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State
from dash.exceptions import PreventUpdate

from dashboard.auth import runtime_of
from dashboard.i18n import lang
from dashboard.page_callbacks import PageCallbacks
from dashboard.pages.map import ids
from dashboard.pages.map.drawing import draw_layers, failure_badges, legend
from dashboard.pages.map.playback import shown_filter, step_label
from layers.base import MapView
from layers.boundaries import DEFAULT_MEASURE
from layers.registry import LAYERS

REPORT_LAYERS = tuple(layer for layer in LAYERS if layer.about_reports)
callbacks = PageCallbacks()


@callbacks.callback(
    *[Output(ids.overlay(layer.key), "children") for layer in REPORT_LAYERS],
    Output(ids.BADGES, "children"),
    Output(ids.LEGEND, "children"),
    Output(ids.STEP_LABEL, "children"),
    Output(ids.RENDERED, "data"),
    Input(ids.WINDOWS, "data"),
    Input(ids.STEP, "value"),
    Input(ids.SHADE, "value"),
    Input(ids.MAP, "zoom"),
    Input(ids.REPORTS_LIVE, "data"),
    State(ids.RENDERED, "data"),
    prevent_initial_call=True,
)
def redraw(windows: dict[str, Any], step: int | None, shade: str | None, zoom: float | None,
           live: float | None, rendered: dict[str, Any] | None) -> Any:
    key = {"query": windows["query"], "step": step, "shade": shade or DEFAULT_MEASURE,
           "zoom": int(zoom or runtime_of().settings.map_zoom), "live": live}
    if key == rendered:  # the map reports its own zoom once drawn: nothing to redo
        raise PreventUpdate
    view = MapView(zoom=key["zoom"], lang=lang(), shade=key["shade"], tz=runtime_of().settings.timezone)
    drawn, data, failed = draw_layers(runtime_of(), REPORT_LAYERS, shown_filter(windows, step), view)
    return (*[drawn.get(layer.key) for layer in REPORT_LAYERS], failure_badges(failed, view.lang),
            legend(data.get("boundaries"), key["shade"]), step_label(windows, step), key)
