"""The map's live wiring: a layer that names a ``live_topic`` is redrawn when the live feed hears that topic.

The feed (assets/ioc_live.js) ticks at most once per 2 s with the topics heard meanwhile (``live-tick``),
and a clientside callback sifts them in the browser. The layers of things that change by themselves
(cameras, alerts, sensors, boats) are redrawn here, all together: they are few and cheap, and one
callback keeps their failure badges in one place. Report layers name the reports topic, and a report
write redraws them through ``report_layers.redraw``, like a filter change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from dash import Input, Output, State

from dashboard.auth import runtime_of
from dashboard.camera_access import viewer_cameras
from dashboard.filter_bar import viewer_filter
from dashboard.i18n import lang
from dashboard.page_callbacks import PageCallbacks
from dashboard.pages.map import ids
from dashboard.pages.map.drawing import draw_layers, failure_badges
from layers.base import Layer, MapView
from layers.boundaries import DEFAULT_MEASURE
from layers.registry import LAYERS

LIVE_LAYERS = tuple(layer for layer in LAYERS if layer.live_topic is not None and not layer.about_reports)
TICK = "live-tick"  # the shell's store (dashboard/shell.py)
callbacks = PageCallbacks()


def topics_of(layers: Iterable[Layer]) -> list[str]:
    """The topics these layers are redrawn on, each once."""
    return sorted({layer.live_topic for layer in layers if layer.live_topic is not None})


callbacks.clientside(
    """function (tick) {
        var topics = (tick && tick.topics) || [];
        var heard = function (wanted) { return wanted.some(function (t) { return topics.indexOf(t) >= 0; }); };
        var none = window.dash_clientside.no_update;
        return [heard(__LIVE__) ? tick.at : none, heard(__REPORTS__) ? tick.at : none];
    }""".replace("__LIVE__", json.dumps(topics_of(LIVE_LAYERS)))
       .replace("__REPORTS__", json.dumps(topics_of(layer for layer in LAYERS if layer.about_reports))),
    Output(ids.LIVE, "data"), Output(ids.REPORTS_LIVE, "data"), Input(TICK, "data"),
    prevent_initial_call=True)


@callbacks.callback(
    *[Output(ids.overlay(layer.key), "children", allow_duplicate=True) for layer in LIVE_LAYERS],
    Output(ids.BADGES_STATIC, "children"),
    Input(ids.LIVE, "data"), State(ids.QUERY, "data"), State(ids.MAP, "zoom"), State(ids.SHADE, "value"),
    prevent_initial_call=True,
)
def live_redraw(_: int | None, search: str | None, zoom: float | None, shade: str | None) -> Any:
    settings = runtime_of().settings
    view = MapView(zoom=int(zoom or settings.map_zoom), lang=lang(), shade=shade or DEFAULT_MEASURE,
                   tz=settings.timezone, cameras=viewer_cameras(runtime_of()))
    drawn, _data, failed = draw_layers(runtime_of(), LIVE_LAYERS, viewer_filter(search), view)
    return (*[drawn.get(layer.key) for layer in LIVE_LAYERS], failure_badges(failed, view.lang))
