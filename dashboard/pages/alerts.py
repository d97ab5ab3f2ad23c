"""Sự kiện: every alert in one list; open one to acknowledge, assign, follow its procedure, close.

The rules live in data/alerts/events.py; each button goes through dashboard.api.live.apply_action, which commits
and then tells every screen, so a step ticked here is ticked on the wall too. The list redraws when the
live feed (the ``live-event`` store) says an alert changed, never on a timer.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html
from dash.exceptions import PreventUpdate
from flask_login import current_user
from sqlalchemy import select

from dashboard.api.live import apply_action
from dashboard.auth import audit_action, runtime_of
from dashboard.components import data_attrs, fmt_time, page_guard
from dashboard.i18n import lang, t
from data.alerts import events as alerts
from data.core.errors import IocError
from data.core.text import ascii_digits
from data.models import Alert, User

dash.register_page(__name__, path="/alerts", name="alerts", title="IOC – Sự kiện")

SEVERITY_COLOUR = {"critical": "danger", "warning": "warning", "info": "info"}
STATUS_COLOUR = {"new": "danger", "acknowledged": "warning", "handling": "primary", "closed": "secondary"}
MANUAL_KINDS = ("flood", "storm", "default")
SHOWN = 200


def layout(id: str | None = None, **_: Any) -> Any:  # ``id``: the URL's ?id=
    refused = page_guard("alerts")
    if refused is not None:
        return refused
    selected = int(id) if id and ascii_digits(id) else None
    return html.Div([
        dcc.Store(id="alerts-selected", data=selected), dcc.Store(id="alerts-changed", data=0),
        dcc.Store(id="alerts-live-list"), dcc.Store(id="alerts-live-detail"),
        html.H1(t("al.title"), className="h4"),
        dbc.Row([
            dbc.Col(dbc.Select(id="alerts-filter-status", value="open", options=[
                {"label": t(f"al.show.{key}"), "value": key} for key in ("open", "new", "closed", "all")]), md=2),
            dbc.Col(dbc.Select(id="alerts-filter-severity", value="", options=[{"label": t("al.any_severity"),
                                                                                "value": ""}] + [
                {"label": t(f"al.sev.{s}"), "value": s} for s in alerts.SEVERITIES]), md=2),
            dbc.Col(dbc.Button(t("al.raise"), id="alerts-raise-open", color="danger", outline=True), md="auto"),
        ], className="g-2 mb-2"),
        dbc.Collapse(_raise_form(), id="alerts-raise-box", is_open=False),
        html.Div(id="alerts-message"),
        dbc.Row([
            dbc.Col(html.Div(id="alerts-list"), lg=6),
            dbc.Col(html.Div(id="alerts-detail"), lg=6),
        ]),
    ])


def _raise_form() -> Any:
    """A manual event (flood, storm, ...): the same model and procedure as the ones machines raise."""
    return dbc.Card(dbc.CardBody(dbc.Row([
        dbc.Col(dbc.Select(id="alerts-new-kind", value="flood", options=[
            {"label": _sop_name(k), "value": k} for k in MANUAL_KINDS]), md=3),
        dbc.Col(dbc.Select(id="alerts-new-severity", value="critical", options=[
            {"label": t(f"al.sev.{s}"), "value": s} for s in alerts.SEVERITIES]), md=2),
        dbc.Col(dbc.Input(id="alerts-new-title", placeholder=t("al.new_title"), maxLength=300), md=5),
        dbc.Col(dbc.Button(t("al.raise_do"), id="alerts-raise", color="danger"), md=2),
    ], className="g-2")), className="mb-3")


def _sop_name(kind: str) -> str:
    sop = alerts.sop_for(kind)
    return sop.name_en if lang() == "en" else sop.name


def _list(status: str, severity: str, selected: int | None) -> Any:
    statuses = {"open": alerts.OPEN_STATUSES, "new": ("new",), "closed": ("closed",)}.get(status, alerts.STATUSES)
    severities = (severity,) if severity else alerts.SEVERITIES
    with runtime_of().session() as session:
        rows = alerts.open_alerts(session, limit=SHOWN, statuses=statuses, severities=severities)
    if not rows:
        return dbc.Alert(t("live.none"), color="secondary", id="alerts-empty")
    items = [dbc.ListGroupItem([
        html.Div([dbc.Badge(t(f"al.sev.{a.severity}"), color=SEVERITY_COLOUR.get(a.severity, "secondary"),
                            className="me-2"),
                  html.Span(a.title, className="fw-semibold")]),
        html.Div([dbc.Badge(t(f"al.st.{a.status}"), color=STATUS_COLOUR.get(a.status, "secondary"),
                            className="me-2", id=f"alerts-status-{a.id}"),
                  html.Small(f"{_sop_name(a.kind)} · {fmt_time(a.created_at)}", className="text-secondary")]),
    ], id={"type": "alerts-row", "id": a.id}, action=True, active=a.id == selected, n_clicks=0,
        className="py-2") for a in rows]
    return dbc.ListGroup(items, id="alerts-table")


def _detail(alert_id: int | None) -> Any:
    if alert_id is None:
        return html.Div(t("al.pick"), className="text-secondary p-3")
    with runtime_of().session() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            return dbc.Alert(t("al.missing"), color="warning")
        events = alerts.history(session, alert_id)
        users = {u.id: u for u in session.scalars(select(User).where(User.active.is_(True)))}
    sop = alerts.sop_for(alert.kind)
    steps = alerts.checklist(sop, events)
    closed = alert.status == "closed"

    def name(uid: int | None) -> str:
        if uid is None:
            return t("al.system")
        return (users[uid].full_name or users[uid].username) if uid in users else f"#{uid}"

    step_rows = [html.Li([
        html.Span(s.step.text_en if lang() == "en" else s.step.text, className="ioc-sop-done" if s.done else ""),
        html.Small(f" — {s.step.unit}", className="text-secondary"),
        html.Small(f" ✓ {name(s.by)} {fmt_time(s.at)}", className="text-success") if s.done else None,
        dbc.Button(t("al.undo") if s.done else t("al.done"), id={"type": "alerts-step", "index": s.index},
                   size="sm", color="link", disabled=closed, n_clicks=0, className="py-0"),
    ], id=f"alerts-step-{s.index}", **data_attrs(done="1" if s.done else "0")) for s in steps]
    history = [html.Li([html.Small(fmt_time(e.at), className="text-secondary me-2"),
                        html.Span(f"{name(e.user_id)}: {t('al.act.' + e.action)}"),
                        html.Span(f" #{(e.step or 0) + 1}") if e.step is not None else None,
                        html.Span(f" → {name(e.assignee_id)}") if e.assignee_id else None,
                        html.Div(e.note, className="small fst-italic") if e.note else None])
               for e in events]
    actions = [dbc.Button(t(f"al.do.{a}"), id=f"alerts-do-{a}", color=c, size="sm", className="me-1",
                          disabled=not _allowed(alert.status, a))
               for a, c in (("ack", "warning"), ("start", "primary"), ("close", "success"), ("reopen", "secondary"),
                            ("note", "outline-secondary"))]
    return dbc.Card(dbc.CardBody([
        html.H2(alert.title, className="h5", id="alerts-detail-title"),
        html.Div([dbc.Badge(t(f"al.sev.{alert.severity}"), color=SEVERITY_COLOUR.get(alert.severity, "secondary"),
                            className="me-2"),
                  dbc.Badge(t(f"al.st.{alert.status}"), color=STATUS_COLOUR.get(alert.status, "secondary"),
                            id="alerts-detail-status", className="me-2"),
                  html.Small(f"{alert.source or ''} · {fmt_time(alert.created_at)}", className="text-secondary")]),
        html.P(alert.message, className="mt-2 mb-2") if alert.message else None,
        html.Div([t("al.assignee"), ": ", html.B(name(alert.assignee_id) if alert.assignee_id else "—")],
                 className="small mb-2"),
        html.Div(actions, className="mb-2"),
        dbc.Row([
            dbc.Col(dbc.Select(id="alerts-assignee", options=[{"label": u.full_name or u.username, "value": str(u.id)}
                                                               for u in users.values()],
                               value=str(alert.assignee_id) if alert.assignee_id else None), md=7),
            dbc.Col(dbc.Button(t("al.do.assign"), id="alerts-do-assign", size="sm", color="outline-primary",
                               disabled=closed), md=5),
        ], className="g-2 mb-2"),
        dbc.Textarea(id="alerts-note", placeholder=t("al.note"), maxLength=alerts.MAX_NOTE, className="mb-3"),
        html.H3(f"{t('al.sop')}: {sop.name_en if lang() == 'en' else sop.name}", className="h6"),
        html.Ol(step_rows, id="alerts-sop"),
        html.H3(t("al.history"), className="h6 mt-3"),
        html.Ul(history, id="alerts-history", className="list-unstyled"),
    ]), id="alerts-detail-card")


def _allowed(status: str, action: str) -> bool:
    try:
        alerts.next_status(status, action)
    except IocError:
        return False
    return True


@callback(Output("alerts-raise-box", "is_open"), Input("alerts-raise-open", "n_clicks"),
          State("alerts-raise-box", "is_open"), prevent_initial_call=True)
def toggle_raise(_: int | None, is_open: bool) -> bool:
    return not is_open


@callback(Output("alerts-selected", "data"), Input({"type": "alerts-row", "id": ALL}, "n_clicks"),
          prevent_initial_call=True)
def select_alert(clicks: list[int | None]) -> int:
    if not any(clicks) or not isinstance(ctx.triggered_id, dict):
        raise PreventUpdate  # the list was redrawn, nothing clicked
    return int(ctx.triggered_id["id"])


# The live feed's messages are sifted in the browser: a server callback that answered "nothing to do"
# would supersede a redraw already on its way (Dash keeps only the newest call of a callback).
clientside_callback(
    """function (live) {
        if (!live || live.topic !== "alerts") { return window.dash_clientside.no_update; }
        return live.received;
    }""",
    Output("alerts-live-list", "data"), Input("live-event", "data"), prevent_initial_call=True)

# The echo of this tab's own action is not redrawn: the action's callback draws it once, after its commit.
clientside_callback(
    """function (live, selected, screen) {
        if (!live || live.topic !== "alerts" || live.id !== selected || (screen && live.screen === screen)) {
            return window.dash_clientside.no_update;
        }
        return live.received;
    }""",
    Output("alerts-live-detail", "data"), Input("live-event", "data"), State("alerts-selected", "data"),
    State("live-screen", "data"), prevent_initial_call=True)


@callback(Output("alerts-list", "children"),
          Input("alerts-selected", "data"), Input("alerts-changed", "data"), Input("alerts-live-list", "data"),
          Input("alerts-filter-status", "value"), Input("alerts-filter-severity", "value"))
def render_list(selected: int | None, _changed: int, _live: int | None, status: str, severity: str) -> Any:
    return _list(status or "open", severity or "", selected)


@callback(Output("alerts-detail", "children"),
          Input("alerts-selected", "data"), Input("alerts-changed", "data"), Input("alerts-live-detail", "data"))
def render_detail(selected: int | None, _changed: int, _live: int | None) -> Any:
    return _detail(selected)


@callback(Output("alerts-message", "children"), Output("alerts-changed", "data"),
          Input("alerts-do-ack", "n_clicks"), Input("alerts-do-start", "n_clicks"),
          Input("alerts-do-close", "n_clicks"), Input("alerts-do-reopen", "n_clicks"),
          Input("alerts-do-note", "n_clicks"), Input("alerts-do-assign", "n_clicks"),
          Input({"type": "alerts-step", "index": ALL}, "n_clicks"),
          State("alerts-selected", "data"), State("alerts-note", "value"), State("alerts-assignee", "value"),
          State("alerts-changed", "data"), State("live-screen", "data"), prevent_initial_call=True)
def act(*args: Any) -> Any:
    _steps, selected, note, assignee, changed, screen = args[6:]
    trigger = ctx.triggered_id
    if selected is None or trigger is None or not ctx.triggered[0]["value"]:
        raise PreventUpdate  # the detail was redrawn, nothing clicked
    if not (current_user.is_authenticated and current_user.may_open("alerts")):
        raise PreventUpdate
    kwargs: dict[str, Any] = {"user_id": int(current_user.id), "note": note, "screen": screen}
    if isinstance(trigger, dict):
        done = _step_done(int(selected), int(trigger["index"]))
        action, kwargs["step"] = ("unstep" if done else "step"), int(trigger["index"])
    else:
        action = str(trigger).removeprefix("alerts-do-")
        if action == "assign":
            kwargs["assignee_id"] = int(assignee) if assignee else None
    try:
        apply_action(runtime_of(), int(selected), action, **kwargs)
    except IocError as exc:
        return dbc.Alert(exc.message, color="danger", id="alerts-error"), dash.no_update
    audit_action(f"alert_{action}", target=f"alert:{selected}")
    return dbc.Alert(t("al.saved"), color="success", duration=3000, id="alerts-done"), (changed or 0) + 1


def _step_done(alert_id: int, index: int) -> bool:
    with runtime_of().session() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            return False
        states = alerts.checklist(alerts.sop_for(alert.kind), alerts.history(session, alert_id))
    return index < len(states) and states[index].done


@callback(Output("alerts-message", "children", allow_duplicate=True),
          Output("alerts-selected", "data", allow_duplicate=True),
          Input("alerts-raise", "n_clicks"), State("alerts-new-kind", "value"),
          State("alerts-new-severity", "value"), State("alerts-new-title", "value"), prevent_initial_call=True)
def raise_manual(_: int | None, kind: str, severity: str, title: str | None) -> Any:
    if not (current_user.is_authenticated and current_user.may_open("alerts")):
        raise PreventUpdate
    if not title or not title.strip():
        return dbc.Alert(t("al.title_needed"), color="danger", id="alerts-error"), dash.no_update
    runtime = runtime_of()
    try:
        with runtime.session() as session:
            alert = alerts.raise_alert(session, kind=kind if kind in MANUAL_KINDS else "default",
                                       severity=severity, title=title.strip(),
                                       source=f"operator:{current_user.username}",
                                       user_id=int(current_user.id))
    except IocError as exc:
        return dbc.Alert(exc.message, color="danger", id="alerts-error"), dash.no_update
    alerts.published(runtime, alert, "raised")
    audit_action("alert_raise", target=f"alert:{alert.id}")
    return dbc.Alert(t("al.saved"), color="success", duration=3000, id="alerts-done"), alert.id
