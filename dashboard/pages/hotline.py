"""Tổng đài: operators enter a caller's report while on the phone and read back its tracking code."""

from __future__ import annotations

import uuid
from typing import Any

import dash
import dash_bootstrap_components as dbc
import dash_leaflet as dl
from dash import Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate
from flask_login import current_user
from sqlalchemy import select

from dashboard.auth import runtime_of
from dashboard.components import page_guard
from dashboard.i18n import lang, t
from data.core.errors import InvalidInput
from data.intake.pipeline import Receipt, submit
from data.intake.submission import MAX_DESCRIPTION, IntakeError, Submission
from data.models import AdminUnit, Category, Channel

dash.register_page(__name__, path="/hotline", name="hotline", title="IOC – Tổng đài")

FIELDS = ("phone", "name", "category", "description", "place")
# The core's field names -> where the hotline form shows the message.
FORM_FIELD = {"phone": "phone", "description": "description", "title": "description", "service_code": "category",
              "lat": "place", "long": "place", "address_string": "place", "place": "place", "email": "name"}


def _choices() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    en = lang() == "en"
    with runtime_of().session() as session:
        categories = session.execute(select(Category.code, Category.name, Category.name_en)
                                     .order_by(Category.name)).all()
        wards = session.execute(select(AdminUnit.id, AdminUnit.name).where(AdminUnit.level == "ward")
                                .order_by(AdminUnit.name)).all()
    return ([{"label": (c.name_en or c.name) if en else c.name, "value": c.code} for c in categories],
            [{"label": w.name, "value": w.id} for w in wards])


def _field(label: str, control: Any, name: str) -> Any:
    return html.Div([dbc.Label(label, html_for=f"hotline-{name}"), control,
                     html.Div(id=f"hotline-{name}-error", className="text-danger small", role="alert")],
                    className="mb-3")


def layout(**_: Any) -> Any:
    refused = page_guard("hotline")
    if refused is not None:
        return refused
    settings = runtime_of().settings
    categories, wards = _choices()
    place = html.Div([
        dbc.Label(t("hot.map_hint"), className="small text-secondary"),
        dl.Map([dl.TileLayer(url=settings.map_tile_url, attribution=settings.map_tile_attribution),
                dl.LayerGroup(id="hotline-marker")],
               center=list(settings.map_center), zoom=settings.map_zoom, id="hotline-map",
               style={"height": "300px", "borderRadius": ".5rem"}),
        html.Div([html.Span(id="hotline-point-text", className="small me-2"),
                  dbc.Button(t("hot.clear_point"), id="hotline-clear", size="sm", color="link")]),
        dbc.Input(id="hotline-address", placeholder=t("hot.address"), maxLength=500, className="mb-2"),
        dbc.Select(id="hotline-ward", options=[{"label": "—", "value": ""}, *wards], value="",
                   placeholder=t("hot.ward")),
        html.Div(id="hotline-place-error", className="text-danger small", role="alert"),
    ], className="mb-3")
    left = [
        _field(t("hot.phone"), dbc.Input(id="hotline-phone", type="tel", maxLength=32, autoFocus=True), "phone"),
        _field(t("hot.name"), dbc.Input(id="hotline-name", maxLength=200), "name"),
        _field(t("form.category"), dbc.Select(id="hotline-category", value="",
                                              options=[{"label": t("form.category_any"), "value": ""},
                                                       *categories]), "category"),
        _field(t("form.description"), dbc.Textarea(id="hotline-description", rows=6), "description"),
        html.Div([dbc.Label(t("hot.urgency")),
                  dbc.RadioItems(id="hotline-urgency", inline=True, value="normal",
                                 options=[{"label": t("hot.normal"), "value": "normal"},
                                          {"label": t("hot.emergency"), "value": "emergency"}])],
                 className="mb-3"),
    ]
    return html.Div([
        html.H1(t("hot.title"), className="h4"),
        dcc.Store(id="hotline-token", data=uuid.uuid4().hex),
        dcc.Store(id="hotline-point"),
        dbc.Row([dbc.Col(left, md=6), dbc.Col([dbc.Label(t("form.place")), place], md=6)]),
        dbc.Button(t("hot.submit"), id="hotline-submit", color="primary", size="lg", className="mb-3"),
        html.Div(id="hotline-result"),
    ], style={"maxWidth": "1200px"})


@callback(Output("hotline-marker", "children"), Output("hotline-point", "data"),
          Output("hotline-point-text", "children"),
          Input("hotline-map", "clickData"), Input("hotline-clear", "n_clicks"), prevent_initial_call=True)
def pick_point(click: dict[str, Any] | None, _: int | None) -> tuple[Any, Any, str]:
    if ctx.triggered_id == "hotline-clear" or not click:
        return [], None, ""
    lat, lon = float(click["latlng"]["lat"]), float(click["latlng"]["lng"])
    return [dl.Marker(position=[lat, lon])], [lat, lon], f"{t('form.picked')}: {lat:.5f}, {lon:.5f}"


def hotline_submission(phone: str | None, name: str | None, category: str | None, description: str | None,
                       address: str | None, ward: str | None, urgency: str | None, point: list[float] | None,
                       token: str, user_id: int) -> Submission:
    """The operator's entries as a Submission; the caller's number and a place are required here."""
    if not (phone or "").strip():
        raise IntakeError(t("hot.need_phone"), field="phone")
    lat, lon = (point[0], point[1]) if point else (None, None)
    if lat is None and not (address or "").strip() and not ward:
        raise IntakeError(t("hot.need_place"), field="place")
    if len(description or "") > MAX_DESCRIPTION:  # the core says it too; here it is said next to the box
        raise IntakeError(f"Nội dung dài {len(description or '')} ký tự, vượt giới hạn {MAX_DESCRIPTION} ký tự.",
                          field="description")
    return Submission(channel=Channel.HOTLINE, description=description or "", category_code=category or None,
                      lat=lat, lon=lon, address=address, reporter_name=name, reporter_phone=phone,
                      urgency=urgency or "normal", idempotency_key=f"hotline:{token}", user_id=user_id,
                      admin_unit_id=int(ward) if ward else None)


def _errors(field: str | None, message: str) -> list[str]:
    target = FORM_FIELD.get(field or "", "description")
    return [message if name == target else "" for name in FIELDS]


@callback(Output("hotline-result", "children"), *(Output(f"hotline-{name}-error", "children") for name in FIELDS),
          Input("hotline-submit", "n_clicks"),
          State("hotline-phone", "value"), State("hotline-name", "value"), State("hotline-category", "value"),
          State("hotline-description", "value"), State("hotline-address", "value"), State("hotline-ward", "value"),
          State("hotline-urgency", "value"), State("hotline-point", "data"), State("hotline-token", "data"),
          running=[(Output("hotline-submit", "disabled"), True, False)], prevent_initial_call=True)
def record(_: int | None, phone: str | None, name: str | None, category: str | None, description: str | None,
           address: str | None, ward: str | None, urgency: str | None, point: list[float] | None,
           token: str) -> tuple[Any, ...]:
    """Submit the call. The page's token stays until "new call": a repeated click is the same report."""
    if not current_user.is_authenticated or not current_user.may_open("hotline"):
        raise PreventUpdate
    try:
        sub = hotline_submission(phone, name, category, description, address, ward, urgency, point, token,
                                 current_user.id)
        receipt = submit(runtime_of(), sub)
    except InvalidInput as exc:
        message = t("hot.already") if exc.status == 422 else exc.message
        alert = dbc.Alert(message, color="danger", id="hotline-refused")
        return (alert, *_errors(getattr(exc, "field", None), message))
    return (_done(receipt), *([""] * len(FIELDS)))


def _done(receipt: Receipt) -> Any:
    return dbc.Alert([html.Div(t("hot.done")),
                      html.Div(receipt.tracking_code, id="hotline-code", className="display-6 fw-bold my-2"),
                      html.A(t("hot.new_call"), href="/hotline", className="btn btn-outline-success",
                             id="hotline-new-call")],
                     color="success", id="hotline-done")
