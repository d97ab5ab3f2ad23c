"""Cảnh báo: operators publish warnings to citizens (flood, storm, outage) and end them; each shows on
the public page and in Open311's service notice while in force (data/alerts/public_warnings.py)."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, html
from dash.exceptions import PreventUpdate
from flask_login import current_user

from dashboard.auth import audit_action, runtime_of
from dashboard.components import fmt_number, fmt_time, page_guard
from dashboard.i18n import t
from data.alerts import public_warnings
from data.core.errors import IocError
from data.models import utcnow

dash.register_page(__name__, path="/warnings", name="warnings", title="IOC – Cảnh báo")

DURATIONS = (("6", 6), ("24", 24), ("72", 72), ("0", None))  # hours; "0" = until ended


def layout(**_: Any) -> Any:
    refused = page_guard("warnings")
    if refused is not None:
        return refused
    return html.Div([
        html.H1(t("warn.title"), className="h4"),
        dbc.Row([
            dbc.Col(dbc.Input(id="warnings-new-title", placeholder=t("warn.new_title"), maxLength=300), md=5),
            dbc.Col(dbc.Select(id="warnings-new-severity", value="warning", options=[
                {"label": t(f"warn.sev.{s}"), "value": s} for s in public_warnings.SEVERITIES]), md=2),
            dbc.Col(dbc.Select(id="warnings-new-hours", value="24", options=[
                {"label": t(f"warn.for.{key}"), "value": key} for key, _ in DURATIONS]), md=2),
            dbc.Col(dbc.Button(t("warn.publish"), id="warnings-publish", color="danger"), md=2),
        ], className="g-2 mb-2"),
        dbc.Textarea(id="warnings-new-body", placeholder=t("warn.new_body"), maxLength=4000, className="mb-2"),
        html.Div(id="warnings-message"),
        html.Div(_table(), id="warnings-list"),
    ])


def _table() -> Any:
    now = utcnow()
    with runtime_of().session() as session:
        rows = public_warnings.recent(session)
        body = [html.Tr([
            html.Td(w.title), html.Td(t(f"warn.sev.{w.severity}")), html.Td(fmt_time(w.starts_at)),
            html.Td(fmt_time(w.ends_at) if w.ends_at else t("warn.until_ended")),
            html.Td(fmt_number(w.views), id=f"warnings-views-{w.id}"),
            html.Td(dbc.Button(t("warn.end"), id={"type": "warnings-end", "id": w.id}, size="sm", color="secondary")
                    if w.ends_at is None or w.ends_at > now else t("warn.ended")),
        ]) for w in rows]
    head = html.Thead(html.Tr([html.Th(t(k)) for k in ("warn.col.title", "warn.col.severity", "warn.col.from",
                                                         "warn.col.until", "warn.col.views", "")]))
    return dbc.Table([head, html.Tbody(body)], size="sm", striped=True, id="warnings-table")


@callback(Output("warnings-message", "children"), Output("warnings-list", "children"),
          Input("warnings-publish", "n_clicks"), Input({"type": "warnings-end", "id": ALL}, "n_clicks"),
          State("warnings-new-title", "value"), State("warnings-new-body", "value"),
          State("warnings-new-severity", "value"), State("warnings-new-hours", "value"), prevent_initial_call=True)
def act(_publish: int | None, ends: list[int | None], title: str | None, body: str | None, severity: str | None,
        hours: str | None) -> Any:
    if not (current_user.is_authenticated and current_user.may_open("warnings")):
        raise PreventUpdate
    trigger = ctx.triggered_id
    try:
        with runtime_of().session() as session:
            if isinstance(trigger, dict):
                if not any(ends):
                    raise PreventUpdate  # the list was redrawn, nothing clicked
                warning = public_warnings.end(session, int(trigger["id"]), int(current_user.id))
                action, message = "warning.end", t("warn.ended_ok")
            else:
                length = dict(DURATIONS).get(hours or "24")
                warning = public_warnings.publish(session, title or "", body, severity or "warning",
                                                  int(current_user.id), hours=length)
                action, message = "warning.publish", t("warn.published")
            target = f"warning:{warning.id}"
    except IocError as exc:
        return dbc.Alert(exc.message, color="danger", id="warnings-error"), dash.no_update
    audit_action(action, target=target)
    return dbc.Alert(message, color="success", duration=6000, id="warnings-done"), _table()
