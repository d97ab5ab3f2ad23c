"""Areas drawn on the map: how many reports of the shown filter lie inside, and their export (CSV, GeoJSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update

from dashboard.auth import audit_action, runtime_of
from dashboard.components import data_attrs, fmt_number
from dashboard.i18n import t
from dashboard.page_callbacks import PageCallbacks
from dashboard.pages.map import ids
from dashboard.pages.map.export import FORMATS, build_export
from dashboard.pages.map.playback import shown_filter
from data.core.errors import IocError
from data.reports.selection import areas_of, count_inside, reports_inside

callbacks = PageCallbacks()


@callbacks.callback(
    Output(ids.SELECTION, "children"),
    Input(ids.DRAW, "geojson"),
    Input(ids.WINDOWS, "data"),
    Input(ids.STEP, "value"),
    prevent_initial_call=True,
)
def selection(drawn: dict[str, Any] | None, windows: dict[str, Any], step: int | None) -> Any:
    try:
        areas = areas_of(drawn)
    except IocError as exc:
        return dbc.Alert(exc.message, color="danger", className="small", id=ids.SELECTION_ERROR)
    if not areas:
        return None
    with runtime_of().session() as session:
        n = count_inside(session, shown_filter(windows, step), areas)
    return html.Div(dbc.Alert(t("map.selection").format(n=fmt_number(n), shapes=len(areas)), color="info",
                              className="small"), id=ids.SELECTION_COUNT, **data_attrs(count=n))


@callbacks.callback(
    Output(ids.DOWNLOAD, "data"),
    Output(ids.EXPORT_MESSAGE, "children"),
    Input(ids.EXPORT_CSV, "n_clicks"),
    Input(ids.EXPORT_GEOJSON, "n_clicks"),
    State(ids.DRAW, "geojson"),
    State(ids.WINDOWS, "data"),
    State(ids.STEP, "value"),
    prevent_initial_call=True,
)
def export(_csv: int | None, _geojson: int | None, drawn: dict[str, Any] | None, windows: dict[str, Any],
           step: int | None) -> Any:
    fmt = "geojson" if dash.ctx.triggered_id == ids.EXPORT_GEOJSON else "csv"
    try:
        areas = areas_of(drawn)
    except IocError as exc:
        return no_update, dbc.Alert(exc.message, color="danger", className="small")
    tz = runtime_of().settings.tz
    with runtime_of().session() as session:
        made = build_export(reports_inside(session, shown_filter(windows, step), areas), fmt, tz,
                            datetime.now(tz))
    audit_action(f"export.map.{fmt}", target="map", detail={
        "query": windows["query"][:500], "step": step, "areas": len(areas), "rows": made.rows, "reporters": False})
    note = t("map.export.truncated").format(n=fmt_number(made.rows)) if made.truncated else None
    message = dbc.Alert(note, color="warning", className="small") if note else None
    return dcc.send_string(made.content, made.filename, type=FORMATS[fmt]), message
