"""Creating an account: username, name, role, agency; its one-time password is shown once, here only."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, html
from dash.exceptions import PreventUpdate

from dashboard.auth import runtime_of
from dashboard.i18n import t
from dashboard.page_callbacks import PageCallbacks
from dashboard.pages.admin.common import failure, success, who
from dashboard.pages.admin.users import ids
from dashboard.pages.admin.users.fields import CREATE_FORM, Menus, values, widget
from data.accounts.user_admin import create_account
from data.core.errors import IocError

callbacks = PageCallbacks()


def create_form(menus: Menus) -> Any:
    username = html.Div([dbc.Label(t("field.username"), html_for=ids.CREATE_USERNAME),
                         dbc.Input(id=ids.CREATE_USERNAME, maxLength=100, autoComplete="off")], className="mb-2")
    return dbc.Card(dbc.CardBody([
        html.H2(t("adm.users.create"), className="h6"),
        username,
        *[widget(field, ids.new_field(field.name), menus) for field in CREATE_FORM],
        dbc.Button(t("adm.users.create_do"), id=ids.CREATE_SUBMIT, color="primary", size="sm"),
        html.Div(id=ids.CREATE_MESSAGE, className="mt-2", role="status"),
    ]))


def one_time(password: str) -> Any:
    """The handed-out password, once: the admin gives it to the person, who must replace it at login."""
    return html.Div([html.Span(t("adm.users.one_time") + " "),
                     html.Code(password, id=ids.ONE_TIME, className="text-body fw-bold user-select-all"),
                     html.Div(t("adm.users.one_time_note"), className="small")])


@callbacks.callback(
    Output(ids.CREATE_MESSAGE, "children"),
    Output(ids.CHANGED, "data"),
    Output(ids.CREATE_USERNAME, "value"),
    Input(ids.CREATE_SUBMIT, "n_clicks"),
    State(ids.CREATE_USERNAME, "value"),
    *[State(ids.new_field(field.name), "value") for field in CREATE_FORM],
    State(ids.CHANGED, "data"),
    prevent_initial_call=True,
)
def create(clicks: int | None, username: str | None, *rest: Any) -> Any:
    if not clicks:
        raise PreventUpdate
    *entered, changed = rest
    try:
        with runtime_of().session() as session:
            user, password = create_account(session, who(), username or "", values(CREATE_FORM, tuple(entered)))
            name = user.username
    except IocError as exc:
        return failure(exc, "admin-users-new-error"), dash.no_update, dash.no_update
    done = html.Div([html.Div(t("adm.users.created").format(username=name)), one_time(password)])
    return success(done, "admin-users-new-done"), (changed or 0) + 1, ""
