"""The table of accounts: username, name, role, agency, state, last login, and an "edit" button each."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, html

from dashboard.auth import runtime_of
from dashboard.components import fmt_time
from dashboard.i18n import t, t_enum
from dashboard.page_callbacks import PageCallbacks
from dashboard.pages.admin.users import ids
from data.accounts.user_admin import AccountRow, accounts

callbacks = PageCallbacks()
COLUMNS = ("field.username", "field.full_name", "field.role", "field.agency_id", "adm.users.state",
           "adm.users.last_login", "adm.users.actions")


def _state(row: AccountRow) -> Any:
    badges = [dbc.Badge(t("adm.users.active") if row.active else t("adm.users.inactive"),
                        color="success" if row.active else "secondary")]
    if row.must_change_password:
        badges.append(dbc.Badge(t("adm.users.must_change"), color="warning", text_color="dark", className="ms-1"))
    return badges


def _row(row: AccountRow) -> Any:
    edit = dbc.Button(t("adm.users.edit"), id={"type": ids.EDIT, "id": row.id}, size="sm", color="primary",
                      outline=True, title=f"{t('adm.users.edit')}: {row.username}")
    cells = [row.username, row.full_name or "", t_enum("role", row.role), row.agency or "", _state(row),
             fmt_time(row.last_login_at) or "—", edit]
    return html.Tr([html.Td(cell) for cell in cells], id=f"admin-users-row-{row.username}")


def table() -> Any:
    with runtime_of().session() as session:
        rows = accounts(session)
    head = html.Thead(html.Tr([html.Th(t(key), scope="col") for key in COLUMNS]))
    return dbc.Table([head, html.Tbody([_row(r) for r in rows])], size="sm", striped=True, hover=True,
                     responsive=True, className="align-middle")


@callbacks.callback(Output(ids.LIST, "children"), Input(ids.CHANGED, "data"), prevent_initial_call=True)
def redraw(_changed: int | None) -> Any:
    """After a change made on this page: the table as it now is."""
    return table()
