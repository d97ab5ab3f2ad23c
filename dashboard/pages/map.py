"""Bản đồ: the city map with every registered layer in a layers control."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial
from typing import Any

import dash
import dash_bootstrap_components as dbc
import dash_leaflet as dl
from dash import html

from dashboard.auth import runtime_of
from dashboard.components import page_guard
from dashboard.i18n import lang, t
from data.answers import filter_key
from data.models import utcnow
from data.queries import ReportFilter
from layers.base import MapView
from layers.registry import LAYERS

dash.register_page(__name__, path="/map", name="map", title="IOC – Bản đồ")
log = logging.getLogger(__name__)


def layout(**_: Any) -> Any:
    refused = page_guard("map")
    if refused is not None:
        return refused
    settings = runtime_of().settings
    view = MapView(zoom=settings.map_zoom, lang=lang())
    filters = ReportFilter(since=utcnow() - timedelta(days=365))
    overlays, failed = [], []
    answers = runtime_of().answers
    with runtime_of().session() as session:
        for layer in LAYERS:
            name = layer.name_en if view.lang == "en" else layer.name_vi
            try:  # one failing layer shows a badge; the rest of the map keeps working
                data = (answers.get(f"layer:{layer.key}", [filter_key(filters), view.zoom, view.lang],
                                    partial(layer.load, session, filters, view))
                        if layer.about_reports else layer.load(session, filters, view))
                content = layer.component(data, view)
            except Exception:
                log.exception("map layer %s failed", layer.key)
                session.rollback()
                failed.append(name)
                continue
            overlays.append(dl.Overlay(dl.LayerGroup(content), name=name, checked=layer.default_on))
    base = dl.BaseLayer(dl.TileLayer(url=settings.map_tile_url, attribution=settings.map_tile_attribution),
                        name="OpenStreetMap" if "openstreetmap" in settings.map_tile_url else "Base",
                        checked=True)
    badges = [dbc.Badge(f"⚠ {n}", color="danger", className="me-1", id=f"map-failed-{i}")
              for i, n in enumerate(failed)]
    return html.Div([
        html.Div([html.H1(t("map.title"), className="h4 d-inline me-3"), *badges]),
        dl.Map([dl.LayersControl([base, *overlays], id="map-layers"), dl.ScaleControl(position="bottomleft")],
               center=list(settings.map_center), zoom=settings.map_zoom, id="map-map",
               className="ioc-map"),
    ])
