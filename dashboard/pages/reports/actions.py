"""Acting on the report in the panel: a button opens one small form (only the fields its action needs),
or acts at once (confirm the category, merge into a duplicate); the outcome redraws the panel and the row."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate
from flask_login import current_user

from dashboard.auth import audit_action, runtime_of
from dashboard.i18n import t, t_enum
from dashboard.page_callbacks import PageCallbacks
from dashboard.pages.reports import ids
from dashboard.pages.reports.grid import grid_row
from data.core.errors import IocError
from data.reports.detail import ACTION_FIELDS, MERGE_WITH, ActionForm, act, report_row
from data.reports.workflow import TRANSITIONS, Actor

FORM_FIELDS = ("agency", "category", "area", "rating", "duplicate")
HIDDEN = {"display": "none"}
callbacks = PageCallbacks()


def actor() -> Actor:
    """The signed-in user, as the workflow sees them."""
    return Actor(current_user.id, str(current_user.role), current_user.agency_id, current_user.full_name)


def action_form(menus: dict[str, list[dict[str, Any]]]) -> Any:
    """One small form for every action; the fields an action does not need stay hidden."""
    ratings = [{"label": "★" * n, "value": n} for n in range(5, 0, -1)]
    fields = [
        _field("agency", t("col.agency"), dcc.Dropdown(id=ids.form_field("agency"), options=menus["agencies"])),
        _field("category", t("col.category"),
               dcc.Dropdown(id=ids.form_field("category"), options=menus["categories"])),
        _field("area", t("rep.area"), dcc.Dropdown(id=ids.form_field("area"), options=menus["areas"])),
        _field("rating", t("col.rating"), dcc.Dropdown(id=ids.form_field("rating"), options=ratings)),
        _field("duplicate", t("rep.form.duplicate_of"), dbc.Input(id=ids.form_field("duplicate"), maxLength=32)),
        html.Div([dbc.Label(t("rep.form.note"), id=ids.FORM_NOTE_LABEL),
                  dbc.Textarea(id=ids.FORM_NOTE, rows=3, maxLength=4000)], className="mb-2"),
    ]
    return dbc.Card(dbc.CardBody([
        html.H3(id=ids.FORM_TITLE, className="h6"),
        *fields,
        dbc.Button(t("rep.form.submit"), id=ids.FORM_SUBMIT, color="primary", size="sm", className="me-2"),
        dbc.Button(t("rep.form.cancel"), id=ids.FORM_CANCEL, color="secondary", outline=True, size="sm"),
    ]), id=ids.FORM, style=HIDDEN, className="mt-2 border-primary")


def _field(name: str, label: str, widget: Any) -> Any:
    return html.Div([dbc.Label(label), widget], id=ids.form_box(name), className="mb-2")


def _clicked() -> bool:
    """A real click: pattern-matched buttons also 'fire' with n_clicks None when they are drawn."""
    return any(item.get("value") for item in ctx.triggered)


@callbacks.callback(
    Output(ids.PENDING, "data"),
    Output(ids.FORM, "style"),
    Output(ids.FORM_TITLE, "children"),
    Output(ids.FORM_NOTE_LABEL, "children"),
    *[Output(ids.form_box(name), "style") for name in FORM_FIELDS],
    Output(ids.ACTION_MESSAGE, "children"),
    Input({"type": ids.ACTION, "action": ALL}, "n_clicks"),
    Input(ids.FORM_CANCEL, "n_clicks"),
    Input(ids.SELECTED, "data"),
    prevent_initial_call=True,
)
def open_form(_clicks: list[int | None], _cancel: int | None, _selected: int | None) -> Any:
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict):  # cancel, or another report: the form closes
        return None, HIDDEN, "", "", *[HIDDEN] * len(FORM_FIELDS), None
    if not _clicked():
        raise PreventUpdate
    action = str(trigger["action"])
    wanted = ACTION_FIELDS.get(action, ())
    rule = TRANSITIONS.get(action)
    note = t("rep.form.note_required") if rule is not None and rule.needs_note else t("rep.form.note")
    styles = [None if name in wanted else HIDDEN for name in FORM_FIELDS]
    return action, None, t(f"act.{action}"), note, *styles, None


@callbacks.callback(
    Output(ids.ACTION_MESSAGE, "children", allow_duplicate=True),
    Output(ids.VERSION, "data"),
    Output(ids.UPDATED_ROW, "data"),
    Output(ids.FORM, "style", allow_duplicate=True),
    Output(ids.FORM_NOTE, "value"),
    Input(ids.FORM_SUBMIT, "n_clicks"),
    Input({"type": ids.DIRECT, "action": ALL}, "n_clicks"),
    Input({"type": ids.MERGE, "id": ALL}, "n_clicks"),
    State(ids.SELECTED, "data"),
    State(ids.PENDING, "data"),
    State(ids.VERSION, "data"),
    State(ids.FORM_NOTE, "value"),
    *[State(ids.form_field(name), "value") for name in FORM_FIELDS],
    prevent_initial_call=True,
)
def run_action(_submit: int | None, _direct: list[int | None], _merge: list[int | None], report_id: int | None,
               pending: str | None, version: int | None, note: str | None, agency: int | None,
               category: int | None, area: int | None, rating: int | None, duplicate: str | None) -> Any:
    if not _clicked() or not report_id:
        raise PreventUpdate
    form = ActionForm(note=note, agency_id=_int(agency), category_id=_int(category), admin_unit_id=_int(area),
                      rating=_int(rating), duplicate_code=duplicate)
    action, form = _chosen(ctx.triggered_id, pending, form, note)
    runtime = runtime_of()
    try:
        statuses = act(runtime, int(report_id), action, actor(), form)
        with runtime.session() as session:
            row = report_row(session, int(report_id))
    except IocError as exc:
        alert = dbc.Alert(exc.message, color="danger", dismissable=True, id=ids.ACTION_ERROR)
        return alert, dash.no_update, dash.no_update, dash.no_update, dash.no_update
    audit_action(f"report.{action}", target=f"report:{report_id}",
                 detail={"statuses": {str(k): v for k, v in statuses.items()}})
    done = t("rep.done").format(action=t(f"act.{action}"), status=t_enum("status", statuses.get(int(report_id))))
    alert = dbc.Alert(done, color="success", dismissable=True, duration=6000, id=ids.ACTION_DONE)
    return alert, (version or 0) + 1, grid_row(row) if row else None, HIDDEN, ""


def _chosen(trigger: Any, pending: str | None, form: ActionForm, note: str | None) -> tuple[str, ActionForm]:
    """The action a click asks for, and its form: a merge button names its duplicate, a direct button its
    action, the form's submit the action it was opened for."""
    if isinstance(trigger, dict) and trigger.get("type") == ids.MERGE:
        return MERGE_WITH, ActionForm(note=note, duplicate_id=int(trigger["id"]))
    if isinstance(trigger, dict):
        return str(trigger["action"]), form
    if pending:
        return pending, form
    raise PreventUpdate


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
