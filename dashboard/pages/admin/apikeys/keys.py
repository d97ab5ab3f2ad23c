"""The keys' table and the create form, and their callbacks."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, html
from dash.exceptions import PreventUpdate

from dashboard.auth import runtime_of
from dashboard.components import fmt_time
from dashboard.i18n import t
from dashboard.messages import field_label
from dashboard.page_callbacks import PageCallbacks
from dashboard.pages.admin.apikeys import ids
from dashboard.pages.admin.common import as_int, failure, success, who
from data.accounts.apikeys import KEY_CHANNELS, issue_key, key_rows, revoke_key
from data.core.errors import IocError
from data.models import ApiKey

callbacks = PageCallbacks()
SECRET = "text-body fw-bold user-select-all"  # shown once: legible on the alert, selected by one click
COLUMNS = ("field.name", "field.channel", "adm.keys.created", "adm.keys.last_used", "adm.keys.state", "")


def _row(row: ApiKey) -> Any:
    action: Any = ""
    if row.active:
        action = dbc.Button(t("adm.keys.revoke"), id={"type": ids.REVOKE, "id": row.id}, size="sm", color="danger",
                            outline=True, title=f"{t('adm.keys.revoke')}: {row.name}")
    state = dbc.Badge(t("adm.keys.active") if row.active else t("adm.keys.revoked"),
                      color="success" if row.active else "secondary")
    cells = [row.name, t(f"adm.keys.channel.{row.channel}"), fmt_time(row.created_at),
             fmt_time(row.last_used_at) or "—", state, action]
    return html.Tr([html.Td(c) for c in cells], id=f"admin-apikeys-row-{row.id}")


def table() -> Any:
    with runtime_of().session() as session:
        rows = key_rows(session)
    head = html.Thead(html.Tr([html.Th(t(k) if k else html.Span(t("adm.users.actions"), className="visually-hidden"),
                                       scope="col") for k in COLUMNS]))
    return dbc.Table([head, html.Tbody([_row(r) for r in rows])], size="sm", striped=True, responsive=True,
                     className="align-middle")


def create_form() -> Any:
    channels = [{"label": t(f"adm.keys.channel.{c}"), "value": c} for c in KEY_CHANNELS]
    return dbc.Card(dbc.CardBody([
        html.H2(t("adm.keys.create"), className="h6"),
        html.Div([dbc.Label(field_label("name"), html_for=ids.NAME), dbc.Input(id=ids.NAME, maxLength=200)],
                 className="mb-2"),
        html.Div([dbc.Label(field_label("channel"), html_for=ids.CHANNEL),
                  dbc.Select(id=ids.CHANNEL, options=channels, value=KEY_CHANNELS[0])], className="mb-2"),
        dbc.Button(t("adm.keys.create_do"), id=ids.CREATE, color="primary", size="sm"),
        html.Div(id=ids.MESSAGE, className="mt-2", role="status"),
    ]))


@callbacks.callback(Output(ids.LIST, "children"), Input(ids.CHANGED, "data"), prevent_initial_call=True)
def redraw(_changed: int | None) -> Any:
    return table()


@callbacks.callback(
    Output(ids.MESSAGE, "children"),
    Output(ids.CHANGED, "data"),
    Output(ids.NAME, "value"),
    Input(ids.CREATE, "n_clicks"),
    Input({"type": ids.REVOKE, "id": ALL}, "n_clicks"),
    State(ids.NAME, "value"),
    State(ids.CHANNEL, "value"),
    State(ids.CHANGED, "data"),
    prevent_initial_call=True,
)
def change(_create: int | None, _revoke: list[int | None], name: str | None, channel: str | None,
           changed: int | None) -> Any:
    """Create a key (shown once, here only) or revoke one; the table redraws."""
    trigger = ctx.triggered_id
    if trigger is None or not any(item.get("value") for item in ctx.triggered):
        raise PreventUpdate  # the revoke buttons "fire" with None when the table is redrawn
    try:
        with runtime_of().session() as session:
            if isinstance(trigger, dict):
                row = revoke_key(session, who(), as_int(trigger.get("id")) or 0)
                message: Any = t("adm.keys.revoked_done").format(name=row.name)
            else:
                row, key = issue_key(session, who(), name or "", channel or "")
                message = html.Div([html.Div(t("adm.keys.created_done").format(name=row.name)),
                                    html.Code(key, id=ids.KEY, className=SECRET),
                                    html.Div(t("adm.keys.once"), className="small")])
    except IocError as exc:
        return failure(exc, "admin-apikeys-error"), dash.no_update, dash.no_update
    name_now = dash.no_update if isinstance(trigger, dict) else ""  # a new key's form is cleared
    return success(message, "admin-apikeys-done"), (changed or 0) + 1, name_now
