"""Small building blocks shared by the pages: number cards, KPI cards, report tables, page guards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import groupby
from typing import Any
from urllib.parse import quote

import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user

from dashboard.i18n import lang, t, t_enum
from data.kpis.status import Change, KpiCard, KpiStatus, freshness_text, order_by_theme
from data.models import utcnow

STATUS_COLOUR = {
    KpiStatus.GREEN: "success",
    KpiStatus.AMBER: "warning",
    KpiStatus.RED: "danger",
    KpiStatus.GREY: "secondary",
}


def page_guard(page: str, path: str | None = None) -> Any | None:
    """None when the current user may open ``page``; else what to show instead (login or refusal).

    ``path``: the page's address when it is not ``/<page>`` (``/admin/cameras``), to come back to after login.
    """
    path = path or f"/{page}"
    if not current_user.is_authenticated:
        return html.Div([dcc.Location(id="shell-redirect", href=f"/login?required=1&next={path}"),
                         dbc.Alert(t("login.required"), color="info")])
    if not current_user.may_open(page):
        from dashboard.auth import audit_action  # auth builds on these components

        audit_action("denied", target=f"page:{path}")
        return dbc.Alert(t("login.forbidden"), color="warning", className="m-4")
    return None


def data_attrs(**values: Any) -> dict[str, Any]:
    """``data-*`` attributes to spread into a component: ``data_attrs(report_id=3)`` is ``data-report-id``.

    Dash's generated signatures name every prop, so a literal ``**{"data-x": ...}`` does not type-check.
    """
    return {"data-" + name.replace("_", "-"): value for name, value in values.items()}


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


def sparkline_svg(values: Sequence[float], colour: str = "#6c757d", width: int = 120, height: int = 32) -> str:
    """A tiny line of ``values`` as an SVG data URI: dozens of cards cost no plotly figure each."""
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / (len(values) - 1)
    points = " ".join(f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}"
                      for i, v in enumerate(values))
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}"><polyline fill="none" stroke="{colour}" stroke-width="2" '
           f'points="{points}"/></svg>')
    return "data:image/svg+xml;utf8," + quote(svg)


SPARK_COLOUR = {KpiStatus.GREEN: "#198754", KpiStatus.AMBER: "#fd7e14", KpiStatus.RED: "#dc3545",
                KpiStatus.GREY: "#6c757d"}


def change_badge(change: Change | None, label: str, ident: str) -> Any:
    """▲/▼ with the change in %, green when it is good for the indicator (a fall, for ``down`` ones)."""
    if change is None:
        return html.Span(f"– {label}", className="ioc-kpi-change text-secondary", **data_attrs(change=ident))
    arrow = "▲" if change.delta > 0 else "▼" if change.delta < 0 else "="
    colour = "text-secondary" if change.better is None else "text-success" if change.better else "text-danger"
    amount = f"{change.pct:+.1f}%".replace(".", "," if lang() == "vi" else ".") if change.pct is not None \
        else fmt_number(change.delta, 1 if change.delta % 1 else 0)
    return html.Span(f"{arrow} {amount} {label}", className=f"ioc-kpi-change {colour}",
                     **data_attrs(change=ident, better=str(change.better).lower()))


def kpi_card(card: KpiCard, *, now: datetime | None = None, link: bool = True) -> Any:
    """A KPI: value, unit, target, status colour, changes, sparkline, freshness; a link to its detail."""
    name = card.spec.name_en if lang() == "en" else card.spec.name
    body: list[Any] = [html.Div(name, className="ioc-kpi-name")]
    if card.value is None:
        body.append(html.Div(t("kpi.nodata"), className="ioc-kpi-nodata"))
    else:
        body.append(html.Div([html.Span(fmt_number(card.value, 1 if card.value % 1 else 0),
                                        className="ioc-kpi-value"),
                              html.Span(f" {card.spec.unit}", className="ioc-kpi-unit")]))
    spark = sparkline_svg(card.spark, SPARK_COLOUR[card.status])
    if spark:
        body.append(html.Img(src=spark, className="ioc-kpi-spark", alt=""))
    if card.value is not None:
        body.append(html.Div([change_badge(card.vs_previous, t("kpi.vs_previous"), "previous"),
                              change_badge(card.vs_last_year, t("kpi.vs_last_year"), "last_year")],
                             className="ioc-kpi-changes"))
    footer = []
    if card.target is not None:
        footer.append(f"{t('kpi.target')}: {fmt_number(card.target, 1 if card.target % 1 else 0)}")
    if card.period or card.stale_period:
        footer.append(f"{t('kpi.period') if card.period else t('kpi.last_period')}: {card.period or card.stale_period}")
    body.append(html.Div(" · ".join(footer), className="ioc-kpi-footer"))
    if card.received_at is not None:
        body.append(html.Div(freshness_text(card.received_at, now or utcnow(), lang()), className="ioc-kpi-fresh"))
    inner = dbc.Card(dbc.CardBody(body), color=STATUS_COLOUR[card.status], outline=True,
                     className=f"ioc-kpi ioc-kpi-{card.status} h-100")
    tagged = html.Div(inner, className="h-100", **data_attrs(kpi=card.spec.code, status=card.status.value))
    if link:  # a plain link: the detail is a page of its own (/kpis/<code>), bookmarkable
        return dcc.Link(tagged, href=f"/kpis/{card.spec.code}", className="h-100 d-block ioc-kpi-link",
                        id=f"kpi-card-{card.spec.code}")
    return tagged


def kpi_sections(found: list[KpiCard], themes: list[str], now: datetime) -> list[Any]:
    """A title and a row of cards per theme, in the configured order."""
    sections: list[Any] = []
    for theme, group in groupby(order_by_theme(found, themes), key=lambda c: c.spec.theme):
        sections.append(html.Div(t(f"theme.{theme}"), className="ioc-section-title"))
        sections.append(dbc.Row([dbc.Col(kpi_card(c, now=now), xs=12, sm=6, md=4, xl=3, className="mb-3")
                                 for c in group], id=f"kpis-theme-{theme}"))
    return sections


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
