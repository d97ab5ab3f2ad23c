"""The cameras admin page's table: every camera with its live state (``camera_status``), URLs masked.

Redrawn after every change made on the page, and every 15 s for the live state.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html

from dashboard.auth import runtime_of
from dashboard.components import fmt_time
from dashboard.i18n import t, t_enum
from dashboard.page_callbacks import PageCallbacks
from dashboard.pages.admin import cameras_ids as ids
from data.cameras.listing import admin_rows

callbacks = PageCallbacks()
REFRESH_MS = 15_000
STATE_COLOURS = {"online": "success", "stale": "warning", "offline": "danger", "unknown": "secondary",
                 "disabled": "dark"}
COLUMNS = ("acam.code", "acam.name", "acam.group", "acam.ward", "acam.state", "acam.video", "acam.url")


def camera_table(rows: list[dict[str, Any]]) -> Any:
    if not rows:
        return dbc.Alert(t("acam.none"), color="secondary")
    head = html.Thead(html.Tr([html.Th(t(key), scope="col") for key in COLUMNS]))
    body = html.Tbody([_row(r) for r in rows])
    return dbc.Table([head, body], size="sm", striped=True, hover=True, responsive=True, className="align-middle")


def _row(r: dict[str, Any]) -> Any:
    state = html.Span(t_enum("camstate", r["state"]), className=f"badge text-bg-{STATE_COLOURS[r['state']]}")
    video = " · ".join(str(v) for v in (r["codec"], r["size"], f"{r['fps']} fps" if r["fps"] else None) if v)
    seen = html.Div(t("acam.last_frame").format(at=fmt_time(r["last_frame_at"])), className="small text-muted") \
        if r["last_frame_at"] else None
    error = html.Div(r["error"], className="small text-danger") if r["error"] and r["state"] != "online" else None
    urls = [html.Code(r["stream_url"], className="d-block text-break")]
    if r["sub_stream_url"]:
        urls.append(html.Code(r["sub_stream_url"], className="d-block text-break small"))
    return html.Tr([html.Td(r["code"]), html.Td(r["name"]), html.Td(r["group"]), html.Td(r["ward"]),
                    html.Td([state, seen, error]), html.Td(video), html.Td(urls)])


def list_section() -> Any:
    with runtime_of().session() as session:
        rows = admin_rows(session)
    return html.Div([
        dcc.Interval(id=ids.TICK, interval=REFRESH_MS),
        html.Div(camera_table(rows), id=ids.TABLE),
    ])


@callbacks.callback(Output(ids.TABLE, "children"), Input(ids.CHANGED, "data"), Input(ids.TICK, "n_intervals"),
                    prevent_initial_call=True)
def redraw(_changed: Any, _tick: Any) -> Any:
    with runtime_of().session() as session:
        return camera_table(admin_rows(session))
