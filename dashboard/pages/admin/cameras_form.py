"""The cameras admin page's form: pick a camera (or start a new one), test its connection, save, disable.

URLs come to the form masked (``rtsp://admin:••••••@…``); saving a URL that still carries the mask
keeps the stored password (data/cameras/urls.py), and so does testing it: the password is put back on
the server, never sent to the browser. "Test connection" asks the stream gateway, which opens the URL
once and answers with a picture, its codec, size and frame rate, or why it could not.
"""

from __future__ import annotations

import time
from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, html, no_update
from dash.exceptions import PreventUpdate
from sqlalchemy import select

from dashboard.auth import runtime_of
from dashboard.camera_access import who
from dashboard.gateway_client import GatewayClient, gateway_error
from dashboard.i18n import t
from dashboard.page_callbacks import PageCallbacks
from dashboard.pages.admin import cameras_ids as ids
from data.cameras.editing import CameraInput, create_camera, set_enabled, update_camera
from data.cameras.groups import groups
from data.cameras.urls import URL_MESSAGES, masked, unmasked, url_reason
from data.core.errors import IocError
from data.models import Camera

callbacks = PageCallbacks()
FIELDS = (ids.CODE, ids.NAME, ids.GROUP, ids.STREAM_URL, ids.SUB_STREAM_URL, ids.LAT, ids.LON, ids.ENABLED)
PROBE_EXTRA_S = 10.0  # the gateway's own bound comes first; this only covers the trip


def _field(label: str, ident: str, kind: str = "text", **props: Any) -> Any:
    return dbc.Col([dbc.Label(t(label), html_for=ident), dbc.Input(id=ident, type=kind, **props)], md=6,
                   className="mb-2")


def form_section(pick_options: list[dict[str, Any]], group_names: list[str]) -> Any:
    fields = dbc.Row([
        _field("acam.code", ids.CODE, placeholder="CAM-001", maxLength=64),
        _field("acam.name", ids.NAME, placeholder=t("acam.name.hint"), maxLength=200),
        dbc.Col([dbc.Label(t("acam.group"), html_for=ids.GROUP),
                 dbc.Input(id=ids.GROUP, list=ids.GROUPS_LIST, maxLength=100, placeholder=t("acam.group.hint")),
                 html.Datalist(_group_options(group_names), id=ids.GROUPS_LIST)], md=6, className="mb-2"),
        dbc.Col([dbc.Label(t("acam.enabled"), html_for=ids.ENABLED, className="d-block"),
                 dbc.Checkbox(id=ids.ENABLED, value=True, label=t("acam.enabled.hint"))], md=6, className="mb-2"),
        _field("acam.stream_url", ids.STREAM_URL, placeholder="rtsp://user:password@10.0.0.5:554/stream1",
               maxLength=1000, autoComplete="off"),
        _field("acam.sub_stream_url", ids.SUB_STREAM_URL, placeholder="rtsp://user:password@10.0.0.5:554/stream2",
               maxLength=1000, autoComplete="off"),
        _field("acam.lat", ids.LAT, kind="number", step="any", placeholder="16.4698"),
        _field("acam.lon", ids.LON, kind="number", step="any", placeholder="107.5786"),
    ])
    buttons = html.Div([
        dbc.Button(t("acam.test"), id=ids.TEST, color="secondary", className="me-2"),
        dbc.Button(t("acam.save"), id=ids.SAVE, color="primary", className="me-2"),
        dbc.Button(t("acam.disable"), id=ids.TOGGLE, color="danger", outline=True, disabled=True, className="me-2"),
        dbc.Button(t("acam.new"), id=ids.NEW, color="secondary", outline=True),
    ], className="my-2")
    return html.Div([
        dbc.Label(t("acam.pick"), html_for=ids.PICK),
        dbc.Select(id=ids.PICK, options=[{"label": t("acam.pick.new"), "value": ids.NEW_CAMERA}, *pick_options],
                   value=ids.NEW_CAMERA),
        html.P(t("acam.url_note"), className="small text-muted mt-2"),
        fields, buttons,
        html.Div(id=ids.FORM_MESSAGE, role="status"),
        html.Div(id=ids.TEST_RESULT, role="status", className="mt-2"),
    ])


def _group_options(names: list[str]) -> list[Any]:
    return [html.Option(value=name) for name in names]


def pick_options() -> tuple[list[dict[str, Any]], list[str]]:
    """The cameras to pick from, and the group names the group field suggests."""
    with runtime_of().session() as session:
        cameras = session.execute(select(Camera.id, Camera.code, Camera.name, Camera.enabled)
                                  .order_by(Camera.code)).all()
        names = [g.name for g in groups(session)]
    off = t("camstate.disabled")
    return ([{"label": f"{c.code} – {c.name}" + ("" if c.enabled else f" ({off})"), "value": str(c.id)}
             for c in cameras], names)


@callbacks.callback(Output(ids.PICK, "options"), Output(ids.GROUPS_LIST, "children"),
                    Input(ids.CHANGED, "data"), prevent_initial_call=True)
def refresh_choices(_: Any) -> Any:
    options, names = pick_options()
    return [{"label": t("acam.pick.new"), "value": ids.NEW_CAMERA}, *options], _group_options(names)


def _form_values(camera: Camera | None) -> list[Any]:
    if camera is None:
        return ["", "", "", "", "", None, None, True]
    return [camera.code, camera.name, camera.group_name or "", masked(camera.stream_url),
            masked(camera.sub_stream_url), camera.lat, camera.lon, bool(camera.enabled)]


def _editing(camera: Camera | None) -> dict[str, int] | None:
    return {"id": camera.id, "version": camera.version} if camera is not None else None


def _toggle(camera: Camera | None) -> tuple[str, bool]:
    if camera is None:
        return t("acam.disable"), True
    return (t("acam.disable") if camera.enabled else t("acam.enable")), False


@callbacks.callback(*[Output(f, "value") for f in FIELDS], Output(ids.EDITING, "data"),
                    Output(ids.TOGGLE, "children"), Output(ids.TOGGLE, "disabled"),
                    Output(ids.FORM_MESSAGE, "children"), Output(ids.TEST_RESULT, "children"),
                    Input(ids.PICK, "value"), State(ids.EDITING, "data"), prevent_initial_call=True)
def load(picked: str | None, editing: dict[str, int] | None) -> Any:
    """Fill the form with the picked camera (URLs masked), or empty it for a new one."""
    if editing and picked == str(editing.get("id")):
        raise PreventUpdate  # the camera just saved: the form already holds it (and its message)
    with runtime_of().session() as session:
        camera = session.get(Camera, int(picked)) if picked and picked.isdigit() else None
        return (*_form_values(camera), _editing(camera), *_toggle(camera), None, None)


@callbacks.callback(Output(ids.PICK, "value"), Input(ids.NEW, "n_clicks"), prevent_initial_call=True)
def start_new(clicks: int | None) -> Any:
    if not clicks:
        raise PreventUpdate
    return ids.NEW_CAMERA


def _number(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _input(values: list[Any]) -> CameraInput:
    code, name, group, url, sub, lat, lon, enabled = values
    return CameraInput(code=code or "", name=name or "", group=group or "", stream_url=url or "",
                       sub_stream_url=sub or "", lat=_number(lat), lon=_number(lon), enabled=bool(enabled))


def _alert(text: str, colour: str) -> Any:
    return dbc.Alert(text, color=colour, className="py-2 mb-0")


@callbacks.callback(Output(ids.EDITING, "data", allow_duplicate=True),
                    Output(ids.FORM_MESSAGE, "children", allow_duplicate=True),
                    Output(ids.CHANGED, "data", allow_duplicate=True),
                    Output(ids.STREAM_URL, "value", allow_duplicate=True),
                    Output(ids.SUB_STREAM_URL, "value", allow_duplicate=True),
                    Output(ids.TOGGLE, "children", allow_duplicate=True),
                    Output(ids.TOGGLE, "disabled", allow_duplicate=True),
                    Output(ids.PICK, "options", allow_duplicate=True), Output(ids.PICK, "value", allow_duplicate=True),
                    Input(ids.SAVE, "n_clicks"), *[State(f, "value") for f in FIELDS], State(ids.EDITING, "data"),
                    prevent_initial_call=True)
def save(clicks: int | None, *values: Any) -> Any:
    """Add the camera, or save the edit (refused when someone else changed it meanwhile); audited."""
    if not clicks:
        raise PreventUpdate
    *fields, editing = values
    data = _input(list(fields))
    try:
        with runtime_of().session() as session:
            if editing:
                camera = update_camera(session, who(), int(editing["id"]), data, int(editing["version"]))
            else:
                camera = create_camera(session, who(), data)
            session.flush()
            result = ({"id": camera.id, "version": camera.version}, masked(camera.stream_url),
                      masked(camera.sub_stream_url), *_toggle(camera))
    except IocError as exc:
        return no_update, _alert(exc.message, "danger"), *[no_update] * 7
    message = _alert(t("acam.saved" if editing else "acam.added").format(code=data.code.strip()), "success")
    options = [{"label": t("acam.pick.new"), "value": ids.NEW_CAMERA}, *pick_options()[0]]
    return result[0], message, time.time(), *result[1:], options, str(result[0]["id"])


@callbacks.callback(Output(ids.EDITING, "data", allow_duplicate=True),
                    Output(ids.FORM_MESSAGE, "children", allow_duplicate=True),
                    Output(ids.CHANGED, "data", allow_duplicate=True),
                    Output(ids.ENABLED, "value", allow_duplicate=True),
                    Output(ids.TOGGLE, "children", allow_duplicate=True),
                    Input(ids.TOGGLE, "n_clicks"), State(ids.EDITING, "data"), prevent_initial_call=True)
def toggle(clicks: int | None, editing: dict[str, int] | None) -> Any:
    """Disable the camera in the form (or enable it again): it leaves the wall, the map and the gateway."""
    if not clicks or not editing:
        raise PreventUpdate
    try:
        with runtime_of().session() as session:
            current = session.get(Camera, int(editing["id"]))
            enable = current is not None and not current.enabled
            camera = set_enabled(session, who(), int(editing["id"]), enable, int(editing["version"]))
            state = _editing(camera), bool(camera.enabled), _toggle(camera)[0], camera.code
    except IocError as exc:
        return no_update, _alert(exc.message, "danger"), no_update, no_update, no_update
    text = t("acam.enabled.done" if state[1] else "acam.disabled.done").format(code=state[3])
    return state[0], _alert(text, "success"), time.time(), state[1], state[2]


@callbacks.callback(Output(ids.TEST_RESULT, "children", allow_duplicate=True),
                    Input(ids.TEST, "n_clicks"), State(ids.STREAM_URL, "value"), State(ids.EDITING, "data"),
                    prevent_initial_call=True)
def test_connection(clicks: int | None, url: str | None, editing: dict[str, int] | None) -> Any:
    """One picture from the URL in the form (its masked password put back on the server), and what it is."""
    if not clicks:
        raise PreventUpdate
    runtime = runtime_of()
    try:
        with runtime.session() as session:
            stored = session.get(Camera, int(editing["id"])) if editing else None
            real = unmasked((url or "").strip(), stored.stream_url if stored is not None else None)
        reason = url_reason(real)
        if reason is not None:
            raise IocError(f"{t('acam.stream_url')}: {URL_MESSAGES[reason]}")
        found = _probe(runtime.settings.streams_base_url, runtime.settings.streams_internal_token,
                       runtime.settings.streams_probe_timeout_s, real)
    except IocError as exc:
        _audit_test(editing, url or "", None, exc.message)
        return _alert(t("acam.test.failed").format(reason=exc.message), "danger")
    _audit_test(editing, url or "", found, None)
    return _probe_card(found)


def _probe(base_url: str, token: str, timeout_s: float, url: str) -> dict[str, Any]:
    answer = GatewayClient(base_url, token).request("POST", "/internal/probe", timeout_s + PROBE_EXTRA_S,
                                                    json={"url": url})
    if answer.status_code != 200:
        raise gateway_error(answer)
    found: dict[str, Any] = answer.json()
    return found


def _audit_test(editing: dict[str, int] | None, url: str, found: dict[str, Any] | None, error: str | None) -> None:
    target = f"camera:{editing['id']}" if editing else "camera:new"
    result = {k: found[k] for k in ("codec", "width", "height", "fps")} if found else {"error": error}
    with runtime_of().session() as session:
        who().record(session, "admin.camera.test", target, {"url": masked(url), **result})


def _probe_card(found: dict[str, Any]) -> Any:
    facts = t("acam.test.facts").format(codec=found["codec"], width=found["width"], height=found["height"],
                                        fps=found["fps"] if found["fps"] is not None else "?")
    note = None if found["passthrough"] else html.P(t("acam.test.transcode"), className="small text-warning mb-0")
    return dbc.Card([
        html.Img(src=f"data:image/jpeg;base64,{found['jpeg']}", alt=t("acam.test.picture"),
                 className="card-img-top", id=ids.TEST_PICTURE, style={"maxWidth": "480px"}),
        dbc.CardBody([html.P(t("acam.test.ok"), className="fw-bold text-success mb-1"),
                      html.P(facts, className="mb-0", id=ids.TEST_FACTS), note]),
    ], style={"maxWidth": "480px"})
