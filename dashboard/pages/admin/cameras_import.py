"""The cameras admin page's import: upload a CSV or Excel file, read its dry run, then import it.

The checks and the import are ``data.cameras.bulk``: every problem named by row and column, and a file
with an error imports nothing. The file stays in the browser that chose it (a store) between the dry run
and the import; the report never shows a password (URLs are masked in it).
"""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.auth import runtime_of
from dashboard.camera_access import who
from dashboard.i18n import t
from dashboard.page_callbacks import PageCallbacks
from dashboard.pages.admin import cameras_ids as ids
from data.cameras.bulk import REQUIRED, ImportPlan, import_cameras
from data.core.errors import IocError

callbacks = PageCallbacks()
SHOWN_PROBLEMS = 200
MAX_UPLOAD = 5 * 1024 * 1024


def import_section() -> Any:
    return html.Div([
        html.P(t("acam.import.intro").format(required=", ".join(REQUIRED)), className="small"),
        html.Pre("code,name,group,stream_url,sub_stream_url,lat,lon,enabled\n"
                 "CAM-001,Ngã tư Lê Lợi – Hùng Vương,Giao thông,rtsp://user:password@10.0.0.5:554/stream1,,"
                 "16.4637,107.5909,1", className="small bg-light p-2 border"),
        dcc.Upload(id=ids.UPLOAD, children=html.Div(t("acam.import.upload"), id=ids.FILE_NAME),
                   accept=".csv,.txt,.xlsx", max_size=MAX_UPLOAD,
                   className="border border-2 rounded p-3 text-center", style={"borderStyle": "dashed"}),
        dcc.Store(id=ids.FILE), dcc.Store(id=ids.UPLOAD_LABELLED),
        dbc.Button(t("acam.import.run"), id=ids.RUN, color="primary", disabled=True, className="my-3"),
        html.Div(id=ids.REPORT, role="status"),
    ])


# dcc.Upload renders its file input without a label (screen readers announce "file, button" and nothing
# more): give it the drop zone's own words once the page has drawn it.
callbacks.clientside(
    """function (label) {
        var tries = 0;
        (function name() {  // the drop zone may draw its input a moment after this runs
            var input = document.querySelector("#admin-cameras-upload input[type=file]");
            if (input) { input.setAttribute("aria-label", String(label)); }
            else if (tries++ < 50) { setTimeout(name, 100); }
        })();
        return true;
    }""",
    Output(ids.UPLOAD_LABELLED, "data"), Input(ids.FILE_NAME, "children"),
)


def _decoded(contents: str) -> bytes:
    try:
        return base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (IndexError, binascii.Error, ValueError):
        raise IocError(t("acam.import.unreadable")) from None


def _report(plan: ImportPlan, filename: str) -> Any:
    figures = plan.summary()
    if plan.applied:
        head = dbc.Alert(t("acam.import.done").format(**figures, name=filename), color="success")
    elif plan.errors:
        head = dbc.Alert(t("acam.import.errors").format(**figures, name=filename), color="danger")
    else:
        head = dbc.Alert(t("acam.import.ready").format(**figures, name=filename), color="info")
    rows = plan.problems.head(SHOWN_PROBLEMS).to_dict("records")
    if not rows:
        return head
    table = dbc.Table([
        html.Thead(html.Tr([html.Th(t(k), scope="col") for k in ("imp.row", "imp.column", "imp.value",
                                                                  "imp.severity", "imp.message")])),
        html.Tbody([html.Tr([html.Td(r["row"]), html.Td(r["column"]), html.Td(html.Code(r["value"])),
                             html.Td(t(f"acam.import.{r['severity']}")), html.Td(r["message"])]) for r in rows]),
    ], size="sm", bordered=True, responsive=True, id=ids.PROBLEMS)
    more = html.P(t("acam.import.more").format(n=len(plan.problems) - SHOWN_PROBLEMS), className="small") \
        if len(plan.problems) > SHOWN_PROBLEMS else None
    return html.Div([head, table, more])


def _run(stored: dict[str, str], dry_run: bool) -> ImportPlan:
    raw = _decoded(stored["content"])
    with runtime_of().session() as session:  # one transaction: the whole file, or (on any error) nothing
        return import_cameras(session, who(), raw, stored["name"], dry_run)


@callbacks.callback(Output(ids.FILE, "data"), Output(ids.FILE_NAME, "children"), Output(ids.REPORT, "children"),
                    Output(ids.RUN, "disabled"),
                    Input(ids.UPLOAD, "contents"), State(ids.UPLOAD, "filename"), prevent_initial_call=True)
def dry_run(contents: str | None, filename: str | None) -> Any:
    """Check the chosen file at once; the import button wakes only for a file without errors."""
    if not contents:
        raise PreventUpdate
    stored = {"name": (filename or "cameras.csv")[:200], "content": contents}
    try:
        plan = _run(stored, dry_run=True)
    except IocError as exc:
        return None, stored["name"], dbc.Alert(exc.message, color="danger"), True
    ready = plan.errors == 0 and bool(plan.creates or plan.updates)
    return stored, stored["name"], _report(plan, stored["name"]), not ready


@callbacks.callback(Output(ids.REPORT, "children", allow_duplicate=True),
                    Output(ids.RUN, "disabled", allow_duplicate=True),
                    Output(ids.CHANGED, "data", allow_duplicate=True),
                    Input(ids.RUN, "n_clicks"), State(ids.FILE, "data"), prevent_initial_call=True)
def run(clicks: int | None, stored: dict[str, str] | None) -> Any:
    if not clicks or not stored:
        raise PreventUpdate
    try:
        plan = _run(stored, dry_run=False)
    except IocError as exc:
        return dbc.Alert(exc.message, color="danger"), True, no_update
    return _report(plan, stored["name"]), True, time.time()
