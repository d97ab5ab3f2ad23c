"""Bản đồ: the city map with every registered layer, the reports page's filters, a choropleth switch, a
ward panel, drawn selections with their export, a dark base for the wall and a day/hour playback.

State lives in the URL: the filters in the reports page's form (``FilterChoice``, so a link works on
either page) and the map's own (``MapState``: centre, zoom, shade, layers, base). ``layout`` reads
them; a clientside callback writes them back with ``history.replaceState`` (a ``dcc.Location`` change
would rebuild the page and the map with it). Report layers are cached answers (``data/core/cache.py``):
a filter change, a zoom or a playback step asks the database only for what it has not answered yet.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

import dash
import dash_bootstrap_components as dbc
import dash_leaflet as dl
from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update
from dash.exceptions import PreventUpdate
from sqlalchemy import select

from dashboard.auth import audit_action, runtime_of
from dashboard.components import fmt_number, page_guard
from dashboard.filter_bar import filter_bar, filter_inputs, filter_menus, viewer_filter
from dashboard.i18n import lang, t, t_enum
from dashboard.map_export import FORMATS, build_export
from dashboard.map_layers import base_layers, draw_layers, failure_badges, layer_name, legend
from data.core.errors import IocError
from data.models import AdminUnit, utcnow
from data.reports.filters import FilterChoice, ReportFilter
from data.reports.queries import breakdown, choices
from data.reports.selection import areas_of, count_inside, reports_inside
from layers.base import MapView
from layers.boundaries import DEFAULT_MEASURE, MEASURES, UnitCounts, roll_up, unit_counts, unit_figures
from layers.density import STEP_UNITS, at_window, playback_windows
from layers.map_state import MapState
from layers.registry import LAYERS

dash.register_page(__name__, path="/map", name="map", title="IOC – Bản đồ")

REPORT_LAYERS = tuple(layer for layer in LAYERS if layer.about_reports)  # what a filter change redraws
PLAY_EVERY_MS = 1200
DRAW = {"polygon": True, "rectangle": True, "circle": True, "polyline": False, "marker": False,
        "circlemarker": False}


def _windows(search: str, unit: str) -> dict[str, Any]:
    """The playback steps of a filter (stored in the page, so every callback shows the same step)."""
    found = playback_windows(viewer_filter(search), unit, utcnow(), runtime_of().settings.tz)
    return {"query": search, "unit": unit, "windows": [[a.isoformat(), b.isoformat()] for a, b in found]}


def _shown_filter(windows: dict[str, Any], step: int | None) -> ReportFilter:
    """The filter the map shows: the URL's, or one playback step of it (the last position = all)."""
    f = viewer_filter(windows["query"])
    steps = windows["windows"]
    if step is None or not 0 <= step < len(steps):
        return f
    start, end = steps[step]
    return at_window(f, (datetime.fromisoformat(start), datetime.fromisoformat(end)))


def _step_label(windows: dict[str, Any], step: int | None) -> str:
    steps = windows["windows"]
    if step is None or not 0 <= step < len(steps):
        return t("map.play.all")
    local = datetime.fromisoformat(steps[step][0]).replace(tzinfo=UTC).astimezone(runtime_of().settings.tz)
    return local.strftime("%d/%m/%Y" if windows["unit"] == "day" else "%H:00 %d/%m/%Y")


def _slider(windows: dict[str, Any]) -> tuple[int, dict[int, str]]:
    n = len(windows["windows"])
    return n, {0: t("map.play.first"), n: t("map.play.all")}


def _toolbar(state: MapState, search: str, windows: dict[str, Any]) -> Any:
    shades = [{"label": t(f"map.shade.{key}"), "value": key} for key in MEASURES]
    top, marks = _slider(windows)
    exports = html.Span([
        dbc.Button(t("map.export.csv"), id="map-export-csv", size="sm", color="secondary", outline=True,
                   className="me-1"),
        dbc.Button(t("map.export.geojson"), id="map-export-geojson", size="sm", color="secondary", outline=True,
                   className="me-2"),
        html.A(t("map.to_reports"), id="map-reports-link", href=f"/reports{search}",
               className="btn btn-outline-primary btn-sm"),
    ])
    play = dbc.Row([
        dbc.Col(dbc.Button("▶", id="map-play", size="sm", color="primary", title=t("map.play.title")), width="auto"),
        dbc.Col(dbc.RadioItems(id="map-step-unit", value="day", inline=True, className="small",
                               options=[{"label": t(f"map.play.{u}"), "value": u} for u in STEP_UNITS]),
                width="auto"),
        dbc.Col(dcc.Slider(id="map-step", min=0, max=top, step=1, value=top, marks=marks, included=False,
                           allow_direct_input=False), className="pt-1"),
        dbc.Col(html.Span(_step_label(windows, top), id="map-step-label", className="small fw-semibold"),
                width="auto"),
    ], className="g-2 align-items-center")
    return html.Div([
        html.Div([html.Span(t("map.shade"), className="small me-2"),
                  dbc.RadioItems(id="map-shade", value=state.shade, options=shades, inline=True,
                                 className="small d-inline-block me-3"), exports],
                 className="d-flex flex-wrap align-items-center mb-1"),
        play,
    ], className="mb-2")


def layout(**query: Any) -> Any:
    refused = page_guard("map")
    if refused is not None:
        return refused
    runtime = runtime_of()
    settings = runtime.settings
    choice = FilterChoice.from_params(query)
    state = MapState.from_params(query, [layer.key for layer in LAYERS])
    view = MapView(zoom=state.zoom or settings.map_zoom, lang=lang(), shade=state.shade, tz=settings.timezone)
    search = choice.search()
    windows = _windows(search, "day")
    drawn, data, failed = draw_layers(runtime, LAYERS, _shown_filter(windows, None), view)
    overlays = [dl.Overlay(dl.LayerGroup(drawn.get(layer.key), id=f"map-overlay-{layer.key}"),
                           name=layer_name(layer, view.lang), checked=state.layer_on(layer.key, layer.default_on))
                for layer in LAYERS]
    bases = base_layers(settings, state)
    names = {"overlays": {layer_name(layer, view.lang): layer.key for layer in LAYERS},
             "bases": {b.name: b.id.removeprefix("map-base-") for b in bases},
             "defaults": [layer.key for layer in LAYERS if layer.default_on],
             "centre": list(settings.map_center), "zoom": settings.map_zoom}
    centre = [state.lat, state.lon] if state.lat is not None else list(settings.map_center)
    the_map = dl.Map([
        dl.LayersControl([*bases, *overlays], id="map-layers"),
        dl.ScaleControl(position="bottomleft", imperial=False),
        dl.FullScreenControl(position="topleft", title=t("map.fullscreen")),
        dl.LocateControl(position="topleft", strings={"title": t("map.locate")}),
        dl.MeasureControl(position="topleft", primaryLengthUnit="meters", primaryAreaUnit="hectares",
                          activeColor="#dc3545", completedColor="#1f3b63"),
        dl.FeatureGroup([dl.EditControl(id="map-draw", draw=DRAW, position="topleft")]),
    ], center=centre, zoom=view.zoom, id="map-map", className="ioc-map")
    side = html.Div([
        html.Div(id="map-selection", role="status"),
        html.Div(id="map-export-message", role="status"),
        html.Div(dbc.Alert(t("map.panel.pick"), color="light", className="small"), id="map-panel"),
    ], className="ioc-map-side")
    return html.Div([
        html.Div([html.H1(t("map.title"), className="h4 d-inline me-3"),
                  # Report layers are redrawn (and their badges with them) on every filter change.
                  html.Span(failure_badges([x for x in failed if not x.about_reports], view.lang),
                            id="map-badges-static"),
                  html.Span(failure_badges([x for x in failed if x.about_reports], view.lang), id="map-badges")]),
        filter_bar("map", choice, filter_menus()),
        _toolbar(state, search, windows),
        dbc.Row([
            dbc.Col(html.Div([the_map, html.Div(legend(data.get("boundaries"), state.shade), id="map-legend",
                                                className="ioc-map-legend")], className="position-relative"),
                    lg=9),
            dbc.Col(side, lg=3),
        ], className="g-2"),
        dcc.Store(id="map-query", data=search),
        dcc.Store(id="map-windows", data=windows),
        dcc.Store(id="map-names", data=names),
        dcc.Store(id="map-url"),
        dcc.Store(id="map-url-sync"),
        dcc.Store(id="map-unit"),
        dcc.Store(id="map-live"),
        dcc.Store(id="map-reports-live"),
        dcc.Store(id="map-rendered", data={"query": search, "step": len(windows["windows"]),
                                           "shade": state.shade, "zoom": view.zoom, "live": None}),
        dcc.Interval(id="map-timer", interval=PLAY_EVERY_MS, disabled=True),
        dcc.Download(id="map-download"),
    ])


# ---------------------------------------------------------------------------------------------
# Filters and view -> URL; filters -> playback steps -> layers
# ---------------------------------------------------------------------------------------------


@callback(
    Output("map-query", "data"),
    Output("map-reports-link", "href"),
    *filter_inputs("map"),
    State("map-query", "data"),
    prevent_initial_call=True,
)
def filters_changed(*values: Any) -> Any:
    *widgets, current = values
    search = FilterChoice.of_widgets(*widgets).search()
    return (no_update if search == current else search), f"/reports{search}"


@callback(
    Output("map-url", "data"),
    Input("map-query", "data"),
    Input("map-shade", "value"),
    Input("map-map", "center"),
    Input("map-map", "zoom"),
    Input("map-layers", "overlays"),
    Input("map-layers", "baseLayer"),
    State("map-names", "data"),
)
def view_changed(search: str | None, shade: str | None, centre: Any, zoom: float | None,
                 overlays: list[str] | None, base: str | None, names: dict[str, Any]) -> str:
    lat, lon = (centre.get("lat"), centre.get("lng")) if isinstance(centre, dict) else (centre or [None, None])
    moved = lat is not None and lon is not None and [round(lat, 5), round(lon, 5)] != [
        round(v, 5) for v in names["centre"]]
    layers = None if overlays is None else tuple(names["overlays"][n] for n in overlays if n in names["overlays"])
    state = MapState(
        lat=lat if moved else None, lon=lon if moved else None,
        zoom=int(zoom) if zoom is not None and int(zoom) != names["zoom"] else None,
        shade=shade or DEFAULT_MEASURE, base=names["bases"].get(base, "osm"),
        # The layers control reports its overlays once drawn: only a change from the defaults is news.
        layers=None if layers is None or set(layers) == set(names["defaults"]) else layers,
    )
    params = {**dict(parse_qsl((search or "").lstrip("?"))), **state.params()}
    return f"?{urlencode(params)}" if params else ""


clientside_callback(
    """
    function (search) {
        if (search !== null && search !== undefined && window.location.pathname === "/map"
                && search !== window.location.search) {
            window.history.replaceState(window.history.state, "", "/map" + search + window.location.hash);
        }
        return window.dash_clientside.no_update;
    }
    """,
    Output("map-url-sync", "data"),
    Input("map-url", "data"),
)


@callback(
    Output("map-windows", "data"),
    Output("map-step", "max"),
    Output("map-step", "marks"),
    Output("map-step", "value", allow_duplicate=True),
    Input("map-query", "data"),
    Input("map-step-unit", "value"),
    prevent_initial_call=True,
)
def period_changed(search: str | None, unit: str | None) -> Any:
    windows = _windows(search or "", unit if unit in STEP_UNITS else "day")
    top, marks = _slider(windows)
    return windows, top, marks, top


# The live feed redraws the layers of things that change by themselves (cameras, alerts, sensors, boats),
# sifted in the browser and at most once per 2 s (live-tick); new or changed reports redraw the report
# layers (density, shading) through ``redraw``, like a filter change: one cached answer per write for
# every screen, counted on the map copy.
LIVE_LAYERS = tuple(layer for layer in LAYERS if not layer.about_reports and layer.key != "pois")
clientside_callback(
    """function (tick) {
        var topics = (tick && tick.topics) || [];
        var wanted = ["cameras", "alerts", "vessels"].filter(function (t) { return topics.indexOf(t) >= 0; });
        var reports = topics.indexOf("reports") >= 0;
        var none = window.dash_clientside.no_update;
        return [wanted.length ? tick.at : none, reports ? tick.at : none];
    }""",
    Output("map-live", "data"), Output("map-reports-live", "data"), Input("live-tick", "data"),
    prevent_initial_call=True)


@callback(
    *[Output(f"map-overlay-{layer.key}", "children", allow_duplicate=True) for layer in LIVE_LAYERS],
    Output("map-badges-static", "children"),
    Input("map-live", "data"), State("map-query", "data"), State("map-map", "zoom"), State("map-shade", "value"),
    prevent_initial_call=True,
)
def live_redraw(_: int | None, search: str | None, zoom: float | None, shade: str | None) -> Any:
    settings = runtime_of().settings
    view = MapView(zoom=int(zoom or settings.map_zoom), lang=lang(), shade=shade or DEFAULT_MEASURE,
                   tz=settings.timezone)
    drawn, _data, failed = draw_layers(runtime_of(), LIVE_LAYERS, viewer_filter(search), view)
    return (*[drawn.get(layer.key) for layer in LIVE_LAYERS], failure_badges(failed, view.lang))


@callback(
    *[Output(f"map-overlay-{layer.key}", "children") for layer in REPORT_LAYERS],
    Output("map-badges", "children"),
    Output("map-legend", "children"),
    Output("map-step-label", "children"),
    Output("map-rendered", "data"),
    Input("map-windows", "data"),
    Input("map-step", "value"),
    Input("map-shade", "value"),
    Input("map-map", "zoom"),
    Input("map-reports-live", "data"),
    State("map-rendered", "data"),
    prevent_initial_call=True,
)
def redraw(windows: dict[str, Any], step: int | None, shade: str | None, zoom: float | None,
           live: float | None, rendered: dict[str, Any] | None) -> Any:
    key = {"query": windows["query"], "step": step, "shade": shade or DEFAULT_MEASURE,
           "zoom": int(zoom or runtime_of().settings.map_zoom), "live": live}
    if key == rendered:  # the map reports its own zoom once drawn: nothing to redo
        raise PreventUpdate
    view = MapView(zoom=key["zoom"], lang=lang(), shade=key["shade"], tz=runtime_of().settings.timezone)
    drawn, data, failed = draw_layers(runtime_of(), REPORT_LAYERS, _shown_filter(windows, step), view)
    return (*[drawn.get(layer.key) for layer in REPORT_LAYERS], failure_badges(failed, view.lang),
            legend(data.get("boundaries"), key["shade"]), _step_label(windows, step), key)


# Play / pause: the timer moves the slider, and each step is just another (cached) filter.
clientside_callback(
    """
    function (clicks, disabled, value, top) {
        var playing = disabled;  // a click on a stopped timer starts it
        var start = playing && value >= top ? 0 : window.dash_clientside.no_update;
        return [!playing, playing ? "⏸" : "▶", start];
    }
    """,
    Output("map-timer", "disabled"),
    Output("map-play", "children"),
    Output("map-step", "value", allow_duplicate=True),
    Input("map-play", "n_clicks"),
    State("map-timer", "disabled"),
    State("map-step", "value"),
    State("map-step", "max"),
    prevent_initial_call=True,
)

clientside_callback(
    """
    function (n, value, top) {
        var next = (value || 0) + 1;
        var done = next >= top;
        return [next, done, done ? "▶" : window.dash_clientside.no_update];
    }
    """,
    Output("map-step", "value", allow_duplicate=True),
    Output("map-timer", "disabled", allow_duplicate=True),
    Output("map-play", "children", allow_duplicate=True),
    Input("map-timer", "n_intervals"),
    State("map-step", "value"),
    State("map-step", "max"),
    prevent_initial_call=True,
)


# ---------------------------------------------------------------------------------------------
# A ward's panel
# ---------------------------------------------------------------------------------------------

clientside_callback(
    """
    function (feature) {
        var id = feature && feature.properties ? feature.properties.id : null;
        return id === null || id === undefined ? window.dash_clientside.no_update : id;
    }
    """,
    Output("map-unit", "data"),
    Input("map-layer-boundaries", "clickData"),
    prevent_initial_call=True,
)


@callback(
    Output("map-panel", "children"),
    Input("map-unit", "data"),
    Input("map-windows", "data"),
    Input("map-step", "value"),
    prevent_initial_call=True,
)
def unit_panel(unit_id: int | None, windows: dict[str, Any], step: int | None) -> Any:
    if unit_id is None:
        raise PreventUpdate
    f = _shown_filter(windows, step)
    with runtime_of().session() as session:
        unit = session.execute(select(AdminUnit.id, AdminUnit.name, AdminUnit.level, AdminUnit.population)
                               .where(AdminUnit.id == int(unit_id))).one_or_none()
        if unit is None:
            return dbc.Alert(t("map.panel.gone"), color="warning")
        inside = replace(f, admin_unit_ids=(unit.id,))
        parent_of = dict(session.execute(select(AdminUnit.id, AdminUnit.parent_id)
                                         .where(AdminUnit.parent_id == unit.id)).all())
        counts = roll_up(unit_counts(session, inside, utcnow()), [unit.id], parent_of).get(unit.id, UnitCounts())
        by_category = breakdown(session, inside, "category", limit=8)
        by_status = breakdown(session, inside, "status")
        menus = choices(session)
    figures = unit_figures(counts, unit.population)
    en = lang() == "en"
    categories = {i: (e if en else v) for i, v, e in menus["categories"]}
    return _panel(unit.id, unit.name, unit.population, figures,
                  [(categories.get(k, t("rep.none")), n) for k, n in by_category],
                  [(t_enum("status", k), n) for k, n in by_status])


def _kpi(label: str, value: str, key: str) -> Any:
    return html.Div([html.Div(value, className="fs-5 fw-semibold", id=f"map-panel-{key}"),
                     html.Div(label, className="small text-secondary")], className="col-6 mb-2")


def _counts(title: str, rows: list[tuple[str, int]], ident: str) -> Any:
    items = [html.Li([html.Span(name), html.Span(fmt_number(n), className="float-end")], className="small")
             for name, n in rows]
    return html.Div([html.H3(title, className="h6 mt-2"),
                     html.Ul(items or [html.Li(t("map.panel.none"), className="small text-secondary")],
                             className="list-unstyled mb-1", id=ident)])


def _panel(unit_id: int, name: str, population: int | None, figures: dict[str, Any],
           by_category: list[tuple[str, int]], by_status: list[tuple[str, int]]) -> Any:
    sat = figures["satisfaction"]
    kpis = html.Div([
        _kpi(t("map.fig.reports"), fmt_number(figures["reports"]), "reports"),
        _kpi(t("map.fig.open"), fmt_number(figures["open"]), "open"),
        _kpi(t("map.fig.overdue_pct"), "—" if figures["overdue_pct"] is None
             else f"{fmt_number(figures['overdue_pct'], 1)} %", "overdue"),
        _kpi(t("map.fig.per_1000"), fmt_number(figures["per_1000"], 2), "per-1000"),
        _kpi(t("map.fig.satisfaction"), "—" if sat is None else f"{fmt_number(sat, 2)} ★", "satisfaction"),
        _kpi(t("map.fig.population"), fmt_number(population), "population"),
    ], className="row g-0")
    return html.Div(dbc.Card(dbc.CardBody([
        html.H2(name, className="h5", id="map-panel-name"), kpis,
        _counts(t("rep.by_category"), by_category, "map-panel-categories"),
        _counts(t("map.panel.by_status"), by_status, "map-panel-statuses"),
        html.A(t("map.panel.reports"), href=f"/reports?{urlencode({'area': unit_id, 'period': 'all'})}",
               className="small", id="map-panel-link"),
    ])), **{"data-unit": unit_id})


# ---------------------------------------------------------------------------------------------
# Drawn selections and exports
# ---------------------------------------------------------------------------------------------


@callback(
    Output("map-selection", "children"),
    Input("map-draw", "geojson"),
    Input("map-windows", "data"),
    Input("map-step", "value"),
    prevent_initial_call=True,
)
def selection(drawn: dict[str, Any] | None, windows: dict[str, Any], step: int | None) -> Any:
    try:
        areas = areas_of(drawn)
    except IocError as exc:
        return dbc.Alert(exc.message, color="danger", className="small", id="map-selection-error")
    if not areas:
        return None
    with runtime_of().session() as session:
        n = count_inside(session, _shown_filter(windows, step), areas)
    return html.Div(dbc.Alert(t("map.selection").format(n=fmt_number(n), shapes=len(areas)), color="info",
                              className="small"), id="map-selection-count", **{"data-count": n})


@callback(
    Output("map-download", "data"),
    Output("map-export-message", "children"),
    Input("map-export-csv", "n_clicks"),
    Input("map-export-geojson", "n_clicks"),
    State("map-draw", "geojson"),
    State("map-windows", "data"),
    State("map-step", "value"),
    prevent_initial_call=True,
)
def export(_csv: int | None, _geojson: int | None, drawn: dict[str, Any] | None, windows: dict[str, Any],
           step: int | None) -> Any:
    fmt = "geojson" if dash.ctx.triggered_id == "map-export-geojson" else "csv"
    try:
        areas = areas_of(drawn)
    except IocError as exc:
        return no_update, dbc.Alert(exc.message, color="danger", className="small")
    tz = runtime_of().settings.tz
    with runtime_of().session() as session:
        made = build_export(reports_inside(session, _shown_filter(windows, step), areas), fmt, tz,
                            datetime.now(tz))
    audit_action(f"export.map.{fmt}", target="map", detail={
        "query": windows["query"][:500], "step": step, "areas": len(areas), "rows": made.rows, "reporters": False})
    note = t("map.export.truncated").format(n=fmt_number(made.rows)) if made.truncated else None
    message = dbc.Alert(note, color="warning", className="small") if note else None
    return dcc.send_string(made.content, made.filename, type=FORMATS[fmt]), message
