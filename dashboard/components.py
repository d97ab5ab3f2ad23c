"""Small building blocks shared by the pages: number cards, KPI cards, report tables, page guards."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user

from dashboard.i18n import t, t_enum
from data.kpi import KpiStatus
from data.queries import KpiCard

STATUS_COLOUR = {
    KpiStatus.GREEN: "success",
    KpiStatus.AMBER: "warning",
    KpiStatus.RED: "danger",
    KpiStatus.GREY: "secondary",
}


def page_guard(page: str) -> Any | None:
    """None when the current user may open ``page``; else what to show instead (login or refusal)."""
    if not current_user.is_authenticated:
        return html.Div([dcc.Location(id="shell-redirect", href=f"/login?required=1&next=/{page}"),
                         dbc.Alert(t("login.required"), color="info")])
    if not current_user.may_open(page):
        from dashboard.auth import audit_action  # auth builds on these components

        audit_action("denied", target=f"page:/{page}")
        return dbc.Alert(t("login.forbidden"), color="warning", className="m-4")
    return None


def fmt_number(value: float | int | None, digits: int = 0) -> str:
    """Vietnamese number format: 1.234.567,8 (en: 1,234,567.8)."""
    if value is None:
        return "—"
    from dashboard.i18n import lang

    text = f"{value:,.{digits}f}"
    if lang() == "vi":
        text = text.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    return text


def fmt_time(value: datetime | None) -> str:
    """A stored (naive UTC) time in the deployment's time zone, as dd/mm/yyyy hh:mm."""
    if value is None:
        return ""
    from dashboard.auth import runtime_of

    local = value.replace(tzinfo=UTC).astimezone(runtime_of().settings.tz)
    return local.strftime("%d/%m/%Y %H:%M")


def stat_card(label: str, value: int | float | None, ident: str, colour: str = "primary") -> Any:
    """A big number with its label, for the overview's top row."""
    return dbc.Card(
        dbc.CardBody([
            html.Div(label, className="ioc-stat-label"),
            html.Div(fmt_number(value), id=ident, className=f"ioc-stat-value text-{colour}"),
        ]),
        className="ioc-stat h-100",
    )


def kpi_card(card: KpiCard) -> Any:
    """A KPI with value, unit, target and a status colour (grey when this period has no data)."""
    from dashboard.i18n import lang

    name = card.name_en if lang() == "en" else card.name
    body = [html.Div(name, className="ioc-kpi-name")]
    if card.value is None:
        body.append(html.Div(t("kpi.nodata"), className="ioc-kpi-nodata"))
    else:
        body.append(html.Div([html.Span(fmt_number(card.value, 1 if card.value % 1 else 0),
                                        className="ioc-kpi-value"),
                              html.Span(f" {card.unit}", className="ioc-kpi-unit")]))
    footer = []
    if card.target is not None:
        footer.append(f"{t('kpi.target')}: {fmt_number(card.target, 1 if card.target % 1 else 0)}")
    if card.period:
        footer.append(f"{t('kpi.period')}: {card.period}")
    body.append(html.Div(" · ".join(footer), className="ioc-kpi-footer"))
    return html.Div(
        dbc.Card(dbc.CardBody(body), color=STATUS_COLOUR[card.status], outline=True,
                 className=f"ioc-kpi ioc-kpi-{card.status} h-100"),
        className="h-100", **{"data-kpi": card.code, "data-status": card.status.value})


def report_table(rows: list[dict[str, Any]], ident: str, with_result: bool = False) -> Any:
    """A plain table of reports (the reports page has the full grid)."""
    head = [t("col.code"), t("col.time"), t("col.category"), t("col.title"), t("col.status"),
            t("col.area")]
    if with_result:
        head += [t("col.result"), t("col.rating")]
    body = []
    for r in rows:
        cells = [r["tracking_code"], fmt_time(r["created_at"]), r.get("category") or "",
                 r.get("title") or "", _status_badge(r), r.get("area") or ""]
        if with_result:
            cells += [r.get("result_text") or "", "★" * int(r.get("rating") or 0)]
        body.append(html.Tr([html.Td(c) for c in cells]))
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(body)],
                     id=ident, striped=True, hover=True, size="sm", responsive=True)


def _status_badge(row: dict[str, Any]) -> Any:
    badges = [dbc.Badge(t_enum("status", row["status"]), color="light", text_color="dark")]
    if row.get("overdue"):
        badges.append(dbc.Badge(t("common.overdue"), color="danger", className="ms-1"))
    return html.Span(badges)
