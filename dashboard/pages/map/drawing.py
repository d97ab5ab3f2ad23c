"""What the map page draws, apart from its callbacks: the layers (cached, one failure = one badge),
the base maps and the choropleth's legend."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import dash_bootstrap_components as dbc
import dash_leaflet as dl
from dash import html

from dashboard.components import data_attrs
from dashboard.i18n import t
from dashboard.pages.map import ids
from data.core.runtime import Runtime
from data.core.settings import Settings
from data.reports.filters import ReportFilter, filter_key
from layers.base import Layer, MapView
from layers.boundaries import choropleth, legend_entries
from layers.map_state import MapState

log = logging.getLogger(__name__)


def layer_name(layer: Layer, lang: str) -> str:
    return layer.name_en if lang == "en" else layer.name_vi


def load_layer(runtime: Runtime, layer: Layer, filters: ReportFilter, view: MapView) -> Any:
    """A layer's data; report layers through the answer cache (retired by the next report write)."""
    with runtime.session() as session:
        if not layer.about_reports:
            return layer.load(session, filters, view)
        key = [filter_key(filters), *(getattr(view, name) for name in layer.view_fields)]
        return runtime.answers.get(f"layer:{layer.key}", key, partial(layer.load, session, filters, view))


def draw_layers(runtime: Runtime, layers: tuple[Layer, ...], filters: ReportFilter,
                view: MapView) -> tuple[dict[str, Any], dict[str, Any], list[Layer]]:
    """(components by layer key, data by key, the layers that failed).

    A layer whose source is down is logged with its key and left empty, and its name goes to a badge:
    the rest of the map keeps working.
    """
    drawn, data, failed = {}, {}, []
    for layer in layers:
        try:
            data[layer.key] = load_layer(runtime, layer, filters, view)
            drawn[layer.key] = layer.component(data[layer.key], view)
        except Exception:
            log.exception("map layer %s failed", layer.key)
            failed.append(layer)
    return drawn, data, failed


def failure_badges(failed: list[Layer], lang: str) -> list[Any]:
    """A red badge naming each layer that could not be drawn (its id says which, for tests and CSS)."""
    return [dbc.Badge(f"⚠ {layer_name(layer, lang)}", color="danger", className="me-1",
                      id=ids.failed(layer.key), title=t("map.layer_failed")) for layer in failed]


def base_layers(settings: Settings, state: MapState) -> list[Any]:
    """The configured base map (OpenStreetMap unless a city sets its own) and the dark one for the wall."""
    own = "OpenStreetMap" if "openstreetmap" in settings.map_tile_url else t("map.base.own")
    return [
        dl.BaseLayer(dl.TileLayer(url=settings.map_tile_url, attribution=settings.map_tile_attribution),
                     name=own, checked=state.base == "osm", id=ids.base("osm")),
        dl.BaseLayer(dl.TileLayer(url=settings.map_dark_tile_url, attribution=settings.map_dark_tile_attribution),
                     name=t("map.base.dark"), checked=state.base == "dark", id=ids.base("dark")),
    ]


def legend(boundaries: dict[str, Any] | None, shade: str) -> Any:
    """The shade's name and its classes, or nothing when no unit has a boundary."""
    if not boundaries or not boundaries.get("features"):
        return None
    _, breaks = choropleth(boundaries, shade)
    rows = [html.Div([html.Span(className="ioc-map-swatch", style={"background": colour}),
                      html.Span(label or t("map.no_data"), className="ioc-map-legend-label")])
            for colour, label in legend_entries(shade, breaks)]
    return html.Div([html.Div(t(f"map.shade.{shade}"), className="fw-semibold", id=ids.LEGEND_TITLE), *rows],
                    className="ioc-map-legend-box", **data_attrs(shade=shade))
