"""The cameras admin page's groups and grants: make, rename and remove groups; grant a group to an agency or
a ward, and withdraw it. Agency and ward users see only the groups granted to them (data/cameras/access.py);
operators, leaders and admins see every camera without a grant. Each change is audited (data/cameras/groups.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, html, no_update
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session

from dashboard.auth import runtime_of
from dashboard.camera_access import who
from dashboard.i18n import t
from dashboard.page_callbacks import PageCallbacks
from dashboard.pages.admin import cameras_ids as ids
from data.cameras import groups as camera_groups
from data.core.errors import IocError

callbacks = PageCallbacks()
CHOICE_OUTPUTS = (ids.GROUP_PICK, ids.GRANT_GROUP, ids.GRANT_PICK)
NONE = "-"  # the value of "nothing chosen" (a Select shows an empty value as a blank box)


def _options(pairs: list[tuple[int, str]]) -> list[dict[str, Any]]:
    return [{"label": name, "value": str(ident)} for ident, name in pairs]


def _select(label: str, ident: str, options: list[dict[str, Any]], empty: str) -> Any:
    return html.Div([dbc.Label(t(label), html_for=ident),
                     dbc.Select(id=ident, options=[{"label": t(empty), "value": NONE}, *options], value=NONE)],
                    className="mb-2")


def _choices(session: Session) -> dict[str, list[dict[str, Any]]]:
    found = camera_groups.groups(session)
    grants = camera_groups.grants(session)
    return {
        ids.GROUP_PICK: _options([(g.id, g.name) for g in found]),
        ids.GRANT_GROUP: _options([(g.id, g.name) for g in found]),
        ids.GRANT_PICK: _options([(g.id, f"{g.group} → {g.grantee}") for g in grants]),
    }


def _groups_table(session: Session) -> Any:
    rows = camera_groups.groups(session)
    if not rows:
        return dbc.Alert(t("acam.groups.none"), color="secondary")
    head = html.Thead(html.Tr([html.Th(t(k), scope="col") for k in ("acam.group", "acam.group.code", "acam.cameras")]))
    return dbc.Table([head, html.Tbody([html.Tr([html.Td(g.name), html.Td(g.code), html.Td(g.cameras)])
                                        for g in rows])], size="sm", striped=True)


def _grants_table(session: Session) -> Any:
    rows = camera_groups.grants(session)
    if not rows:
        return dbc.Alert(t("acam.grants.none"), color="secondary")
    head = html.Thead(html.Tr([html.Th(t(k), scope="col") for k in ("acam.group", "acam.grant.kind", "acam.grantee")]))
    return dbc.Table([head, html.Tbody([html.Tr([html.Td(g.group), html.Td(t(f"acam.grant.{g.kind}")),
                                                 html.Td(g.grantee)]) for g in rows])], size="sm", striped=True)


def groups_section() -> Any:
    with runtime_of().session() as session:
        choices = _choices(session)
        agencies, wards = camera_groups.grantee_choices(session)
        tables = _groups_table(session), _grants_table(session)
    group_form = dbc.Col([
        html.H2(t("acam.groups"), className="h6"),
        html.Div(tables[0], id=ids.GROUPS_TABLE),
        dbc.Label(t("acam.group.new"), html_for=ids.GROUP_NAME),
        dbc.InputGroup([dbc.Input(id=ids.GROUP_NAME, maxLength=100),
                        dbc.Button(t("acam.group.create"), id=ids.GROUP_CREATE, color="primary")], className="mb-3"),
        _select("acam.group.pick", ids.GROUP_PICK, choices[ids.GROUP_PICK], "acam.choose"),
        dbc.Label(t("acam.group.rename_to"), html_for=ids.GROUP_RENAME_TO),
        dbc.InputGroup([dbc.Input(id=ids.GROUP_RENAME_TO, maxLength=100),
                        dbc.Button(t("acam.group.rename"), id=ids.GROUP_RENAME, color="secondary")], className="mb-2"),
        dbc.Button(t("acam.group.delete"), id=ids.GROUP_DELETE, color="danger", outline=True),
    ], lg=6)
    grant_form = dbc.Col([
        html.H2(t("acam.grants"), className="h6"),
        html.P(t("acam.grants.note"), className="small text-muted"),
        html.Div(tables[1], id=ids.GRANTS_TABLE),
        _select("acam.group", ids.GRANT_GROUP, choices[ids.GRANT_GROUP], "acam.choose"),
        _select("acam.grant.agency", ids.GRANT_AGENCY, _options(agencies), "acam.grant.none"),
        _select("acam.grant.ward", ids.GRANT_WARD, _options(wards), "acam.grant.none"),
        dbc.Button(t("acam.grant.add"), id=ids.GRANT_ADD, color="primary", className="mb-3"),
        _select("acam.grant.pick", ids.GRANT_PICK, choices[ids.GRANT_PICK], "acam.choose"),
        dbc.Button(t("acam.grant.revoke"), id=ids.GRANT_REVOKE, color="danger", outline=True),
    ], lg=6)
    return html.Div([html.Div(id=ids.GROUPS_MESSAGE, role="status"),
                     dbc.Row([group_form, grant_form], className="g-4")])


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _change(action: Callable[[Session], str]) -> Any:
    """Run one audited change in one transaction; a message either way, and the page's parts redrawn."""
    try:
        with runtime_of().session() as session:
            done = action(session)
    except IocError as exc:
        return dbc.Alert(exc.message, color="danger", className="py-2"), no_update
    return dbc.Alert(done, color="success", className="py-2"), time.time()


@callbacks.callback(Output(ids.GROUPS_MESSAGE, "children"), Output(ids.CHANGED, "data", allow_duplicate=True),
                    Input(ids.GROUP_CREATE, "n_clicks"), State(ids.GROUP_NAME, "value"), prevent_initial_call=True)
def create(clicks: int | None, name: str | None) -> Any:
    if not clicks:
        raise PreventUpdate
    return _change(lambda s: t("acam.group.created").format(
        name=camera_groups.create_group(s, who(), name or "").name))


@callbacks.callback(Output(ids.GROUPS_MESSAGE, "children", allow_duplicate=True),
                    Output(ids.CHANGED, "data", allow_duplicate=True),
                    Input(ids.GROUP_RENAME, "n_clicks"), State(ids.GROUP_PICK, "value"),
                    State(ids.GROUP_RENAME_TO, "value"), prevent_initial_call=True)
def rename(clicks: int | None, picked: str | None, name: str | None) -> Any:
    group_id = _number(picked)
    if not clicks:
        raise PreventUpdate
    if group_id is None:
        return dbc.Alert(t("acam.group.pick_first"), color="warning", className="py-2"), no_update
    return _change(lambda s: t("acam.group.renamed").format(
        name=camera_groups.rename_group(s, who(), group_id, name or "").name))


@callbacks.callback(Output(ids.GROUPS_MESSAGE, "children", allow_duplicate=True),
                    Output(ids.CHANGED, "data", allow_duplicate=True),
                    Input(ids.GROUP_DELETE, "n_clicks"), State(ids.GROUP_PICK, "value"), prevent_initial_call=True)
def delete(clicks: int | None, picked: str | None) -> Any:
    group_id = _number(picked)
    if not clicks:
        raise PreventUpdate
    if group_id is None:
        return dbc.Alert(t("acam.group.pick_first"), color="warning", className="py-2"), no_update

    def remove(session: Session) -> str:
        camera_groups.delete_group(session, who(), group_id)
        return t("acam.group.deleted")

    return _change(remove)


@callbacks.callback(Output(ids.GROUPS_MESSAGE, "children", allow_duplicate=True),
                    Output(ids.CHANGED, "data", allow_duplicate=True),
                    Input(ids.GRANT_ADD, "n_clicks"), State(ids.GRANT_GROUP, "value"), State(ids.GRANT_AGENCY, "value"),
                    State(ids.GRANT_WARD, "value"), prevent_initial_call=True)
def add_grant(clicks: int | None, group: str | None, agency: str | None, ward: str | None) -> Any:
    group_id = _number(group)
    if not clicks:
        raise PreventUpdate
    if group_id is None:
        return dbc.Alert(t("acam.group.pick_first"), color="warning", className="py-2"), no_update

    def add(session: Session) -> str:
        camera_groups.grant(session, who(), group_id, agency_id=_number(agency), admin_unit_id=_number(ward))
        return t("acam.grant.added")

    return _change(add)


@callbacks.callback(Output(ids.GROUPS_MESSAGE, "children", allow_duplicate=True),
                    Output(ids.CHANGED, "data", allow_duplicate=True),
                    Input(ids.GRANT_REVOKE, "n_clicks"), State(ids.GRANT_PICK, "value"), prevent_initial_call=True)
def revoke(clicks: int | None, picked: str | None) -> Any:
    grant_id = _number(picked)
    if not clicks:
        raise PreventUpdate
    if grant_id is None:
        return dbc.Alert(t("acam.grant.pick_first"), color="warning", className="py-2"), no_update

    def withdraw(session: Session) -> str:
        camera_groups.revoke(session, who(), grant_id)
        return t("acam.grant.revoked")

    return _change(withdraw)


@callbacks.callback(*[Output(i, "options") for i in CHOICE_OUTPUTS], Output(ids.GROUPS_TABLE, "children"),
                    Output(ids.GRANTS_TABLE, "children"), Input(ids.CHANGED, "data"), prevent_initial_call=True)
def redraw(_: Any) -> Any:
    with runtime_of().session() as session:
        choices = _choices(session)
        empty = {"label": t("acam.choose"), "value": NONE}
        return (*[[empty, *choices[i]] for i in CHOICE_OUTPUTS], _groups_table(session), _grants_table(session))
