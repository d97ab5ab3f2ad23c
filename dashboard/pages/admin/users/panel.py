"""The edit panel of one account: its fields, save, (de)activate, reset the password.

Opening it keeps the account's version (``ids.TARGET``); every action names that version, so an action on
an account someone else changed meanwhile is refused whole (``Conflict``) and says so.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, html
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session

from dashboard.auth import runtime_of
from dashboard.i18n import t
from dashboard.page_callbacks import PageCallbacks
from dashboard.pages.admin.common import as_int, failure, success, who
from dashboard.pages.admin.users import ids
from dashboard.pages.admin.users.create import one_time
from dashboard.pages.admin.users.fields import FORM, Menus, shown, values, widget
from data.accounts.user_admin import (
    AccountRow,
    accounts,
    edit_account,
    reset_account_password,
    set_account_active,
)
from data.core.errors import IocError, NotFound

callbacks = PageCallbacks()
HIDDEN = {"display": "none"}


def panel(menus: Menus) -> Any:
    """Hidden until an account's "edit" is pressed."""
    buttons = html.Div([
        dbc.Button(t("adm.users.save"), id=ids.SAVE, color="primary", size="sm", className="me-2"),
        dbc.Button(t("adm.users.deactivate"), id=ids.TOGGLE_ACTIVE, color="secondary", outline=True, size="sm",
                   className="me-2"),
        dbc.Button(t("adm.users.reset"), id=ids.RESET, color="danger", outline=True, size="sm"),
    ], className="mt-2")
    return dbc.Card(dbc.CardBody([
        html.H2(id=ids.PANEL_TITLE, className="h6"),
        *[widget(field, ids.edit_field(field.name), menus) for field in FORM],
        buttons,
        html.Div(id=ids.PANEL_MESSAGE, className="mt-2", role="status"),
    ]), id=ids.PANEL, style=HIDDEN, className="border-primary")


def _toggle_label(active: bool) -> str:
    return t("adm.users.deactivate") if active else t("adm.users.activate")


@callbacks.callback(
    Output(ids.PANEL, "style"),
    Output(ids.PANEL_TITLE, "children"),
    Output(ids.TARGET, "data"),
    Output(ids.TOGGLE_ACTIVE, "children"),
    *[Output(ids.edit_field(field.name), "value") for field in FORM],
    Output(ids.PANEL_MESSAGE, "children"),
    Input({"type": ids.EDIT, "id": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def open_panel(_clicks: list[int | None]) -> Any:
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(item.get("value") for item in ctx.triggered):
        raise PreventUpdate  # the buttons "fire" with None when the table is redrawn
    with runtime_of().session() as session:
        found = accounts(session, as_int(trigger.get("id")))
    if not found:
        raise PreventUpdate
    row = found[0]
    title = t("adm.users.editing").format(username=row.username)
    return None, title, {"id": row.id, "version": row.version}, _toggle_label(row.active), *_shown(row), None


def _shown(row: AccountRow) -> list[Any]:
    """The account's fields as the panel's inputs hold them."""
    return [shown(field, row.value(field.name)) for field in FORM]


def _account(session: Session, user_id: int) -> AccountRow:
    found = accounts(session, user_id)
    if not found:
        raise NotFound(t("adm.users.gone"))
    return found[0]


def _act(action: str, target: dict[str, int], entered: dict[str, Any]) -> tuple[Any, AccountRow]:
    """Do ``action`` on the account; the message, and the account as it now is."""
    user_id, version = int(target["id"]), int(target["version"])
    with runtime_of().session() as session:
        if action == ids.SAVE:
            edit_account(session, who(), user_id, version, entered)
            message: Any = t("adm.users.saved")
        elif action == ids.TOGGLE_ACTIVE:
            active = not _account(session, user_id).active
            ended = set_account_active(session, who(), user_id, version, active)
            message = t("adm.users.activated" if active else "adm.users.deactivated").format(n=ended)
        else:
            message = one_time(reset_account_password(session, who(), user_id, version))
        return message, _account(session, user_id)


@callbacks.callback(
    Output(ids.PANEL_MESSAGE, "children", allow_duplicate=True),
    Output(ids.TARGET, "data", allow_duplicate=True),
    Output(ids.TOGGLE_ACTIVE, "children", allow_duplicate=True),
    Output(ids.CHANGED, "data", allow_duplicate=True),
    *[Output(ids.edit_field(field.name), "value", allow_duplicate=True) for field in FORM],
    Input(ids.SAVE, "n_clicks"),
    Input(ids.TOGGLE_ACTIVE, "n_clicks"),
    Input(ids.RESET, "n_clicks"),
    State(ids.TARGET, "data"),
    *[State(ids.edit_field(field.name), "value") for field in FORM],
    State(ids.CHANGED, "data"),
    prevent_initial_call=True,
)
def act(_save: int | None, _toggle: int | None, _reset: int | None, target: dict[str, int] | None,
        *rest: Any) -> Any:
    *entered, changed = rest
    action = ctx.triggered_id
    if not isinstance(target, dict) or "id" not in target or "version" not in target or not _clicked():
        raise PreventUpdate
    try:
        message, row = _act(str(action), target, values(FORM, tuple(entered)))
    except IocError as exc:
        return failure(exc, "admin-users-panel-error"), *[dash.no_update] * (3 + len(FORM))
    return (success(message, "admin-users-panel-done"), {"id": row.id, "version": row.version},
            _toggle_label(row.active), (changed or 0) + 1, *_shown(row))


def _clicked() -> bool:
    return any(item.get("value") for item in ctx.triggered)
