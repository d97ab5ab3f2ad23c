"""Công khai: the transparency page anyone may open. Only published results, never a reporter.

``/public?code=HUE-2026-XXXXXXX`` opens a report's page straight from the link in the reply a citizen
received; the agencies' league table is fair (see data/reports/league.py) and cached for a few minutes.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from dashboard.auth import runtime_of
from dashboard.components import fmt_number, fmt_time, report_table, stat_card
from dashboard.i18n import t, t_enum
from data.alerts import public_warnings
from data.core.errors import IocError
from data.models import PublicWarning, utcnow
from data.reports import workflow
from data.reports.league import LeagueRow, agency_records, league_table
from data.reports.public import PublicReport, lookup, report_id_of
from data.reports.queries import public_summary, recent_reports
from data.reports.workflow import Actor

dash.register_page(__name__, path="/public", name="public", title="IOC – Công khai")

MIN_REPORTS = 20
LEAGUE_TTL_S = 300.0  # a league table over a year moves slowly; one query per 5 minutes per process
_league: dict[str, tuple[float, list[LeagueRow]]] = {}
_league_lock = threading.Lock()


WARNING_COLOURS = {"info": "info", "warning": "warning", "critical": "danger"}


def _warning(warning: PublicWarning) -> Any:
    return dbc.Alert([html.Div([html.B(warning.title),
                                html.Span(f" · {fmt_time(warning.starts_at)}", className="small ms-1")]),
                      html.Div(warning.body, className="mt-1") if warning.body else None],
                     color=WARNING_COLOURS.get(warning.severity, "warning"), className="mb-2 ioc-public-warning",
                     id=f"public-warning-{warning.id}")


def layout(code: str = "", **_: Any) -> Any:
    runtime = runtime_of()
    with runtime.session() as session:
        summary = public_summary(session, since=utcnow() - timedelta(days=365))
        latest = recent_reports(session, limit=20, published_only=True)
        found = lookup(session, code) if code else None
        warnings = public_warnings.in_force(session)
        public_warnings.count_views(session, warnings)
        shown = [_warning(w) for w in warnings]
    return html.Div([
        html.Div(shown, id="public-warnings"),
        html.H1(t("pub.title"), className="h4"),
        dbc.Row([
            dbc.Col(stat_card(t("pub.received"), summary["received"], "public-received"), md=4),
            dbc.Col(stat_card(t("pub.resolved"), summary["resolved"], "public-resolved", "success"), md=4),
            dbc.Col(stat_card(t("pub.rating"), summary["avg_rating"], "public-rating", "warning"), md=4),
        ], className="mb-3"),
        dbc.InputGroup([
            dbc.Input(id="public-code", placeholder="HUE-2026-XXXXXXX", value=code or None),
            dbc.Button(t("pub.search"), id="public-search", color="primary"),
        ], className="mb-2", style={"maxWidth": "560px"}),
        html.Div(_found(found) if code else None, id="public-found", className="mb-3"),
        html.Div(t("pub.league"), className="ioc-section-title"),
        html.P(t("pub.league_note").replace("{n}", str(MIN_REPORTS)), className="small text-muted"),
        _league_table(cached_league(runtime.settings.database_url)),
        html.Div(t("pub.latest"), className="ioc-section-title mt-3"),
        report_table(latest, "public-latest", with_result=True),
    ])


def cached_league(cache_key: str) -> list[LeagueRow]:
    now = time.monotonic()
    with _league_lock:
        hit = _league.get(cache_key)
        if hit and now - hit[0] < LEAGUE_TTL_S:
            return hit[1]
    end = utcnow()
    with runtime_of().session() as session:
        records, city_median = agency_records(session, end - timedelta(days=365), end)
    rows = league_table(records, city_median, min_reports=MIN_REPORTS)
    with _league_lock:
        _league[cache_key] = (now, rows)
    return rows


def _pct(value: float | None) -> str:
    return f"{fmt_number(value, 1)} %" if value is not None else "–"


def _league_table(rows: list[LeagueRow]) -> Any:
    head = html.Thead(html.Tr([html.Th(t(f"pub.col.{c}")) for c in
                               ("rank", "agency", "resolved", "on_time", "satisfaction", "reopen", "median", "score")]))
    body = html.Tbody([
        html.Tr([
            html.Td(str(r.rank) if r.rank else "–"),
            html.Td(r.name),
            html.Td(fmt_number(r.resolved)),
            html.Td(_pct(r.on_time_pct)),
            html.Td(_pct(r.satisfaction_pct)),
            html.Td(_pct(r.reopen_pct)),
            html.Td(t("pub.hours").replace("{n}", fmt_number(r.median_hours)) if r.median_hours is not None else "–"),
            html.Td(fmt_number(r.score, 1) if r.score is not None else html.Span(t("pub.unranked"),
                                                                                className="text-muted small")),
        ], className="" if r.rank else "text-muted")
        for r in rows
    ])
    return dbc.Table([head, body], id="public-league", size="sm", striped=True, hover=True, responsive=True,
                     className="ioc-league")


def _found(report: PublicReport | None, notice: Any = None) -> Any:
    if report is None:
        return dbc.Alert(t("pub.notfound_code"), color="warning")
    facts = [
        html.Div(f"{fmt_time(report.created_at)} · {report.category or ''} · {t_enum('status', report.status)}"),
        html.Div(f"{t('pub.agency')}: {report.agency}") if report.agency else None,
        html.Div(f"{t('pub.expected')}: {fmt_time(report.expected_at)}") if report.expected_at else None,
        html.Div(f"{t('pub.duplicate_of')} {report.duplicate_of}") if report.duplicate_of else None,
        html.Div(t("pub.me_too").replace("{n}", str(report.me_too_count))) if report.me_too_count else None,
    ]
    if report.published:
        content = [
            html.P(report.title or "", className="mt-2 mb-1 fw-semibold"),
            html.P(report.description or "", className="mb-1"),
            html.Div([html.A(html.Img(src=f"/media/{k}?thumb=1", className="ioc-public-photo me-2 mb-2",
                                      alt=""), href=f"/media/{k}", target="_blank") for k in report.photos]),
            html.Div([html.Strong(t("pub.result") + ": "), report.result_text]) if report.result_text else None,
            html.Div("★" * int(report.rating or 0), className="text-warning") if report.rating else None,
        ]
    else:
        content = [dbc.Alert(t("pub.not_published"), color="info", className="mt-2 mb-1 py-2")]
    steps = html.Ol([html.Li(f"{fmt_time(s.at)} – {t_enum('status', s.status)}") for s in report.steps],
                    className="small mb-0")
    return dbc.Card(dbc.CardBody([
        notice,
        html.H2(report.tracking_code, className="h6"),
        *[f for f in facts if f is not None],
        *[c for c in content if c is not None],
        html.Div(t("pub.steps"), className="ioc-section-title mt-2"),
        steps,
        _citizen_actions(report),
    ]), id="public-result")


def _citizen_actions(report: PublicReport) -> Any:
    """The code holder closes the loop: rates a resolved report 1–5, or reopens it if it was not fixed."""
    if not (report.can_rate or report.can_reopen):
        return None
    parts: list[Any] = [dcc.Store(id="public-current-code", data=report.tracking_code)]
    if report.can_rate:
        parts += [
            html.Div(t("pub.rate"), className="ioc-section-title mt-3"),
            dbc.RadioItems(id="public-rating", inline=True, options=[
                {"label": "★" * n, "value": n} for n in range(1, 6)]),
            dbc.Textarea(id="public-rating-comment", placeholder=t("pub.rate_comment"), maxLength=1000,
                         className="mt-1", style={"maxWidth": "560px"}),
            dbc.Button(t("pub.rate_send"), id="public-rate-send", color="primary", size="sm", className="mt-1"),
        ]
    if report.can_reopen:
        parts += [
            html.Div(t("pub.reopen"), className="ioc-section-title mt-3"),
            dbc.Textarea(id="public-reopen-reason", placeholder=t("pub.reopen_reason"), maxLength=1000,
                         style={"maxWidth": "560px"}),
            dbc.Button(t("pub.reopen_send"), id="public-reopen-send", color="warning", size="sm", className="mt-1"),
        ]
    parts.append(html.Div(id="public-action-result", className="mt-2"))
    return html.Div(parts)


@callback(Output("public-action-result", "children"), Output("public-found", "children", allow_duplicate=True),
          Input("public-rate-send", "n_clicks"), State("public-rating", "value"),
          State("public-rating-comment", "value"), State("public-current-code", "data"), prevent_initial_call=True)
def rate(clicks: int | None, score: int | None, comment: str | None, code: str) -> Any:
    if not clicks:  # the button was just rendered (a found report): no click yet
        raise PreventUpdate
    if not score:
        return dbc.Alert(t("pub.rate_pick"), color="warning", className="py-1"), dash.no_update
    return _citizen_act(code, "rate", rating=int(score), note=comment)


@callback(Output("public-action-result", "children", allow_duplicate=True),
          Output("public-found", "children", allow_duplicate=True),
          Input("public-reopen-send", "n_clicks"), State("public-reopen-reason", "value"),
          State("public-current-code", "data"), prevent_initial_call=True)
def reopen(clicks: int | None, reason: str | None, code: str) -> Any:
    if not clicks:
        raise PreventUpdate
    if not (reason or "").strip():
        return dbc.Alert(t("pub.reopen_need_reason"), color="warning", className="py-1"), dash.no_update
    return _citizen_act(code, "reopen", note=reason)


def _citizen_act(code: str, action: str, **kwargs: Any) -> Any:
    runtime = runtime_of()
    try:
        with runtime.session() as session:
            report_id = report_id_of(session, code)
            if report_id is None:
                return dbc.Alert(t("pub.notfound_code"), color="warning"), dash.no_update
            workflow.apply(session, report_id, action, Actor.citizen(), tz=runtime.settings.tz, **kwargs)
    except IocError as exc:
        return dbc.Alert(exc.message, color="danger", className="py-1"), dash.no_update
    runtime.bus.publish("reports", {"id": report_id, "action": action})
    done = dbc.Alert(t(f"pub.{action}_done"), color="success", className="py-1", id="public-action-done")
    with runtime.session() as session:
        return dash.no_update, _found(lookup(session, code), notice=done)


@callback(Output("public-found", "children"), Input("public-search", "n_clicks"),
          Input("public-code", "n_submit"), State("public-code", "value"), prevent_initial_call=True)
def find(_: int | None, __: int | None, code: str | None) -> Any:
    code = (code or "").strip().upper()
    if not code:
        return dash.no_update
    with runtime_of().session() as session:
        return _found(lookup(session, code))
