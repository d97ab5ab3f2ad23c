"""Camera: the operators' video wall. Layouts, groups, tour, focus, kiosk and pop-on-alert.

Agency and ward users see only the cameras of the groups granted to them (data/cameras/access.py), and
no pop-on-alert: it would tell them of alerts and reports they may not read.

The state lives in the URL (``/cameras?layout=3x3&group=Giao%20thông&tour=30&kiosk=1&pop=1``) so a
wall screen can be bookmarked. Everything that needs no server (the grid, the tour, focus, kiosk)
runs in the browser (assets/ioc_wall.js); the server only answers "which camera should pop" every
10 s. Tiles are played by assets/camera_tile.js through the stream gateway.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask_login import current_user

from dashboard.auth import runtime_of
from dashboard.camera_access import viewer_cameras
from dashboard.components import page_guard
from dashboard.i18n import t
from data.cameras.listing import camera_rows
from data.geo.proximity import DEFAULT_RADIUS_M, CameraPoint, camera_to_pop
from data.models import Role
from data.reports.queries import incidents_after, newest_incident_ids

dash.register_page(__name__, path="/cameras", name="cameras", title="IOC – Camera")

# Layout key -> tiles per page; "1p5" is one large tile (2×2 cells of a 3×3 grid) and five small.
LAYOUTS = {"1": 1, "2x2": 4, "3x3": 9, "4x4": 16, "1p5": 6}
TOURS = ("0", "15", "30", "60")
ROTATE = "*"  # the group choice "each group in turn": the tour walks the groups (assets/ioc_wall.js)
POLL_MS = 10_000


def layout(layout: str = "2x2", group: str = "", tour: str = "0", kiosk: str = "", pop: str = "",
           near: str = "", **_: Any) -> Any:
    refused = page_guard("cameras")
    if refused is not None:
        return refused
    runtime = runtime_of()
    scope = viewer_cameras(runtime)
    with runtime.session() as session:
        cameras = camera_rows(session, scope=scope)
        alert_id, report_id = newest_incident_ids(session)
    groups = sorted({c["group"] for c in cameras if c["group"]})
    options = {
        "kiosk": kiosk == "1",
        "near": _number(near, DEFAULT_RADIUS_M, 10.0, 5_000.0),
        "texts": {"page": t("cam.page"), "close": t("cam.close"), "ungrouped": t("cam.ungrouped")},
    }
    return html.Div([
        _toolbar(layout if layout in LAYOUTS else "2x2", group if group in groups or group == ROTATE else "",
                 tour if tour in TOURS else "0", pop == "1" and scope.everything, groups, scope.everything),
        dcc.Store(id="cameras-list", data=[_tile_data(c) for c in cameras]),
        dcc.Store(id="cameras-options", data=options),
        dcc.Store(id="cameras-page", data=0),
        dcc.Store(id="cameras-pinned", data=None),
        dcc.Store(id="cameras-focused", data=None),
        dcc.Store(id="cameras-seen", data={"alert": alert_id, "report": report_id}),
        dcc.Store(id="cameras-pop-event", data=None),
        dcc.Store(id="cameras-url-state"),
        dcc.Store(id="cameras-kiosk-applied"),
        dcc.Interval(id="cameras-tour-timer", disabled=True, interval=30_000),
        dcc.Interval(id="cameras-poll", disabled=pop != "1" or not scope.everything, interval=POLL_MS),
        html.Div([
            html.Div(id="cameras-wall") if cameras else dbc.Alert(t("cam.none"), color="secondary"),
            html.Div(id="cameras-focus"),
        ], id="cameras-box", className="ioc-wall-box"),
    ], className="ioc-wall-page")


def _number(text: str, default: float, low: float, high: float) -> float:
    try:
        return min(high, max(low, float(text)))
    except ValueError:
        return default


def _tile_data(camera: dict[str, Any]) -> dict[str, Any]:
    """What the browser needs of a camera (never its stream URL: camera_rows has none)."""
    return {"id": camera["id"], "name": camera["name"], "group": camera["group"]}


def _toolbar(layout: str, group: str, tour: str, pop: bool, groups: list[str], may_pop: bool) -> Any:
    layouts = [{"label": "1" if k == "1" else t("cam.layout.1p5") if k == "1p5" else k.replace("x", "×"),
                "value": k} for k in LAYOUTS]
    tours = [{"label": t("cam.tour.off") if s == "0" else t("cam.tour.every").replace("{n}", s), "value": s}
             for s in TOURS]
    controls = html.Div([
        dcc.Dropdown(id="cameras-layout", value=layout, clearable=False, searchable=False, options=layouts,
                     style={"width": "150px"}),
        dcc.Dropdown(id="cameras-group", value=group, clearable=False, style={"width": "220px"},
                     options=[{"label": t("cam.all"), "value": ""}, {"label": t("cam.rotate"), "value": ROTATE}]
                     + [{"label": g, "value": g} for g in groups]),
        dcc.Dropdown(id="cameras-tour", value=tour, clearable=False, searchable=False, options=tours,
                     style={"width": "190px"}),
        dbc.ButtonGroup([
            dbc.Button("‹", id="cameras-prev", color="secondary", outline=True, size="sm", title=t("cam.prev")),
            dbc.Button("›", id="cameras-next", color="secondary", outline=True, size="sm", title=t("cam.next")),
        ]),
        dbc.Checkbox(id="cameras-pop-enabled", value=pop, label=t("cam.pop"), disabled=not may_pop,
                     className="ms-2 mb-0" if may_pop else "d-none"),
        *([dbc.Button(t("cam.admin"), href="/admin/cameras", color="link", size="sm", id="cameras-admin-link")]
          if current_user.is_authenticated and current_user.role == Role.ADMIN else []),
        dbc.Button(t("cam.fullscreen"), id="cameras-fullscreen", color="secondary", size="sm", className="ms-auto"),
    ], className="ioc-wall-controls d-flex flex-wrap align-items-center gap-2 flex-grow-1")
    return html.Div([
        html.H1(t("cam.title"), className="h5 me-2 mb-0", title=t("cam.focus_hint")),
        html.Span(id="cameras-page-label", className="badge text-bg-dark ioc-wall-page-label"),
        controls,
        html.Div(id="cameras-pop-notice", className="ioc-wall-notice small text-danger w-100"),
    ], className="ioc-wall-toolbar d-flex flex-wrap align-items-center gap-2 mb-2")


def _wall_fn(name: str) -> ClientsideFunction:
    return ClientsideFunction(namespace="iocWall", function_name=name)


clientside_callback(
    _wall_fn("render"),
    Output("cameras-wall", "children"), Output("cameras-page-label", "children"),
    Input("cameras-layout", "value"), Input("cameras-group", "value"), Input("cameras-page", "data"),
    Input("cameras-pinned", "data"), State("cameras-list", "data"), State("cameras-options", "data"),
)
clientside_callback(
    _wall_fn("turnPage"),
    Output("cameras-page", "data"),
    Input("cameras-tour-timer", "n_intervals"), Input("cameras-prev", "n_clicks"),
    Input("cameras-next", "n_clicks"), Input("cameras-layout", "value"), Input("cameras-group", "value"),
    Input("cameras-pinned", "data"), State("cameras-page", "data"), State("cameras-list", "data"),
    prevent_initial_call=True,
)
clientside_callback(
    _wall_fn("tourTimer"),
    Output("cameras-tour-timer", "disabled"), Output("cameras-tour-timer", "interval"),
    Input("cameras-tour", "value"),
)
clientside_callback(
    _wall_fn("keepInUrl"),
    Output("cameras-url-state", "data"),
    Input("cameras-layout", "value"), Input("cameras-group", "value"), Input("cameras-tour", "value"),
    Input("cameras-pop-enabled", "value"),
)
clientside_callback(
    _wall_fn("kiosk"),
    Output("cameras-kiosk-applied", "data"),
    Input("cameras-options", "data"),
)
clientside_callback(
    _wall_fn("showFocus"),
    Output("cameras-focus", "children"),
    Input("cameras-focused", "data"), State("cameras-options", "data"),
)
clientside_callback(
    _wall_fn("pop"),
    Output("cameras-pinned", "data"), Output("cameras-focused", "data"), Output("cameras-pop-notice", "children"),
    Input("cameras-pop-event", "data"),
    State("cameras-list", "data"),
    prevent_initial_call=True,
)
clientside_callback(
    "function (on) { return !on; }",
    Output("cameras-poll", "disabled"),
    Input("cameras-pop-enabled", "value"),
)


@callback(Output("cameras-seen", "data"), Output("cameras-pop-event", "data"),
          Input("cameras-poll", "n_intervals"), Input("cameras-pop-enabled", "value"),
          State("cameras-seen", "data"), State("cameras-options", "data"), prevent_initial_call=True)
def poll_incidents(_: int | None, enabled: bool, seen: dict[str, int], options: dict[str, Any]) -> Any:
    """Every 10 s: has an alert or a report appeared near a camera since the last look?"""
    scope = viewer_cameras(runtime_of())
    if not scope.everything:  # agency and ward users: incidents are not theirs to see
        raise PreventUpdate
    with runtime_of().session() as session:
        if ctx.triggered_id == "cameras-pop-enabled":  # switched on: watch from now, not from page load
            alert_id, report_id = newest_incident_ids(session)
            return {"alert": alert_id, "report": report_id}, no_update
        if not enabled:
            raise PreventUpdate
        incidents = incidents_after(session, seen["alert"], seen["report"])
        if not incidents:
            raise PreventUpdate
        cameras = [CameraPoint(c["id"], c["lat"], c["lon"]) for c in camera_rows(session)
                   if c["lat"] is not None and c["lon"] is not None]
    newest = {"alert": max([i.id for i in incidents if i.kind == "alert"], default=seen["alert"]),
              "report": max([i.id for i in incidents if i.kind == "report"], default=seen["report"])}
    found = camera_to_pop(incidents, cameras, float(options.get("near", DEFAULT_RADIUS_M)))
    if found is None:
        return newest, no_update
    message = t(f"cam.pop.{found.incident.kind}").replace("{m}", str(round(found.distance_m)))
    event = {"cameraId": found.camera_id, "kind": found.incident.kind, "incidentId": found.incident.id,
             "message": message.replace("{title}", found.incident.title)}
    return newest, event
