"""The map page: its registration, its layout, and the callbacks of its modules handed to Dash."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import dash_leaflet as dl
from dash import dcc, html

from dashboard.auth import runtime_of
from dashboard.camera_access import viewer_cameras
from dashboard.components import page_guard
from dashboard.filter_bar import filter_bar, filter_menus
from dashboard.i18n import lang, t
from dashboard.pages.map import ids, live, panel, playback, report_layers, selection, url
from dashboard.pages.map.drawing import base_layers, draw_layers, failure_badges, layer_name, legend
from dashboard.pages.map.toolbar import toolbar
from data.core.settings import Settings
from data.reports.filters import FilterChoice
from layers.base import Layer, MapView
from layers.map_state import MapState
from layers.registry import LAYERS

dash.register_page(__name__, path="/map", name="map", title="IOC – Bản đồ")
for part in (url, playback, report_layers, live, panel, selection):
    part.callbacks.register()

DRAW = {"polygon": True, "rectangle": True, "circle": True, "polyline": False, "marker": False,
        "circlemarker": False}


def layout(**query: Any) -> Any:
    refused = page_guard("map")
    if refused is not None:
        return refused
    runtime = runtime_of()
    settings = runtime.settings
    choice = FilterChoice.from_params(query)
    state = MapState.from_params(query, [layer.key for layer in LAYERS])
    view = MapView(zoom=state.zoom or settings.map_zoom, lang=lang(), shade=state.shade, tz=settings.timezone,
                   cameras=viewer_cameras(runtime))
    search = choice.search()
    windows = playback.windows_of(search, "day")
    drawn, data, failed = draw_layers(runtime, LAYERS, playback.shown_filter(windows, None), view)
    return html.Div([
        html.Div([html.H1(t("map.title"), className="h4 d-inline me-3"), *_badges(failed, view.lang)]),
        filter_bar(ids.FILTERS, choice, filter_menus()),
        toolbar(state, search, windows),
        dbc.Row([
            dbc.Col(html.Div([_map(settings, state, view, drawn),
                              html.Div(legend(data.get("boundaries"), state.shade), id=ids.LEGEND,
                                       className="ioc-map-legend")], className="position-relative"),
                    lg=9),
            dbc.Col(_side(), lg=3),
        ], className="g-2"),
        *_stores(settings, state, view, search, windows),
    ])


def _badges(failed: list[Layer], language: str) -> list[Any]:
    # Report layers are redrawn (and their badges with them) on every filter change.
    return [html.Span(failure_badges([x for x in failed if not x.about_reports], language), id=ids.BADGES_STATIC),
            html.Span(failure_badges([x for x in failed if x.about_reports], language), id=ids.BADGES)]


def _map(settings: Settings, state: MapState, view: MapView, drawn: dict[str, Any]) -> Any:
    overlays = [dl.Overlay(dl.LayerGroup(drawn.get(layer.key), id=ids.overlay(layer.key)),
                           name=layer_name(layer, view.lang), checked=state.layer_on(layer.key, layer.default_on))
                for layer in LAYERS]
    centre = [state.lat, state.lon] if state.lat is not None else list(settings.map_center)
    return dl.Map([
        dl.LayersControl([*base_layers(settings, state), *overlays], id=ids.LAYERS),
        dl.ScaleControl(position="bottomleft", imperial=False),
        dl.FullScreenControl(position="topleft", title=t("map.fullscreen")),
        dl.LocateControl(position="topleft", strings={"title": t("map.locate")}),
        dl.MeasureControl(position="topleft", primaryLengthUnit="meters", primaryAreaUnit="hectares",
                          activeColor="#dc3545", completedColor="#1f3b63"),
        dl.FeatureGroup([dl.EditControl(id=ids.DRAW, draw=DRAW, position="topleft")]),
    ], center=centre, zoom=view.zoom, id=ids.MAP, className="ioc-map")


def _side() -> Any:
    return html.Div([
        html.Div(id=ids.SELECTION, role="status"),
        html.Div(id=ids.EXPORT_MESSAGE, role="status"),
        html.Div(dbc.Alert(t("map.panel.pick"), color="light", className="small"), id=ids.PANEL),
    ], className="ioc-map-side")


def _names(settings: Settings, state: MapState, language: str) -> dict[str, Any]:
    """How the layers control names the overlays and bases (it reports names), and the default view."""
    return {"overlays": {layer_name(layer, language): layer.key for layer in LAYERS},
            "bases": {b.name: b.id.removeprefix(ids.BASE_PREFIX) for b in base_layers(settings, state)},
            "defaults": [layer.key for layer in LAYERS if layer.default_on],
            "centre": list(settings.map_center), "zoom": settings.map_zoom}


def _stores(settings: Settings, state: MapState, view: MapView, search: str, windows: dict[str, Any]) -> list[Any]:
    return [
        dcc.Store(id=ids.QUERY, data=search),
        dcc.Store(id=ids.WINDOWS, data=windows),
        dcc.Store(id=ids.NAMES, data=_names(settings, state, view.lang)),
        dcc.Store(id=ids.URL),
        dcc.Store(id=ids.URL_SYNC),
        dcc.Store(id=ids.UNIT),
        dcc.Store(id=ids.LIVE),
        dcc.Store(id=ids.REPORTS_LIVE),
        dcc.Store(id=ids.RENDERED, data={"query": search, "step": len(windows["windows"]),
                                         "shade": state.shade, "zoom": view.zoom, "live": None}),
        dcc.Interval(id=ids.TIMER, interval=playback.PLAY_EVERY_MS, disabled=True),
        dcc.Download(id=ids.DOWNLOAD),
    ]
