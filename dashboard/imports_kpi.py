"""The "Chỉ số (KPI)" tab of /imports: upload KPI values (data/kpis/imports/template.py), download the template,
dry-run, import, and read the per-row report. The page module (dashboard/pages/imports.py) places it."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from flask_login import current_user

from dashboard.auth import audit_action, runtime_of
from dashboard.i18n import has_text, t
from dashboard.imports_common import allowed, figure_cards, history_table, run_controls
from dashboard.page_callbacks import PageCallbacks
from data.core.errors import IocError
from data.kpis.imports.adapters import ADAPTERS
from data.kpis.imports.files import check_file, import_file
from data.kpis.imports.template import IndicatorImportSummary, indicator_specs, template_csv, template_xlsx

GRID_ROWS = 5000  # the rest is in the downloadable report
FIGURES = ("rows_total", "rows_kept", "rows_skipped", "new", "revised", "unchanged")
callbacks = PageCallbacks()  # registered by the page module, for every app it is loaded into


def tab() -> Any:
    """The tab's content: built on every visit, so the history is fresh."""
    formats = [{"label": t("impk.format.template"), "value": ""}] + [
        {"label": a.label, "value": a.name} for a in ADAPTERS.values()]
    return html.Div([
        html.H2(t("impk.title"), className="h5 mt-3"),
        dcc.Store(id="imports-kpi-file"), dcc.Store(id="imports-kpi-checked"), dcc.Download(id="imports-kpi-download"),
        dbc.Row([
            dbc.Col(dcc.Upload(id="imports-kpi-upload", accept=".csv,.xlsx,.txt",
                               children=html.Div(t("impk.upload"), id="imports-kpi-file-name"),
                               className="border border-secondary rounded p-3 text-center"), md=6),
            dbc.Col(dcc.Dropdown(id="imports-kpi-format", options=formats, value="", clearable=False), md=4),
            dbc.Col(dbc.ButtonGroup([
                dbc.Button(t("impk.template_csv"), id="imports-kpi-template-csv", color="link"),
                dbc.Button(t("impk.template_xlsx"), id="imports-kpi-template-xlsx", color="link"),
            ]), md=2),
        ], className="g-2 mb-3"),
        *run_controls("imports-kpi"),
        html.H2(t("impk.history"), className="h5 mt-4"),
        html.Div(history(), id="imports-kpi-history"),
    ])


def history() -> Any:
    return history_table("indicators", "imports-kpi-history-table", "impk.written")


def _fingerprint(file: dict[str, Any], adapter: str | None) -> str:
    """A dry run counts for this file read this way only: another file or format needs its own."""
    return f"{file['sha']}:{adapter or ''}"


@callbacks.callback(Output("imports-kpi-file", "data"), Output("imports-kpi-file-name", "children"),
          Input("imports-kpi-upload", "contents"), State("imports-kpi-upload", "filename"), prevent_initial_call=True)
def uploaded(contents: str | None, filename: str | None) -> Any:
    allowed()
    if not contents:
        raise PreventUpdate
    content = contents.split(",", 1)[1]
    sha = hashlib.sha256(base64.b64decode(content)).hexdigest()
    return {"name": filename or "upload.csv", "content": content, "sha": sha}, filename


@callbacks.callback(Output("imports-kpi-summary", "children"), Output("imports-kpi-problems", "rowData"),
          Output("imports-kpi-checked", "data"), Output("imports-kpi-history", "children"),
          Input("imports-kpi-dry-run", "n_clicks"), Input("imports-kpi-run", "n_clicks"),
          State("imports-kpi-file", "data"), State("imports-kpi-format", "value"),
          State("imports-kpi-checked", "data"), prevent_initial_call=True)
def run(_dry: int | None, _run: int | None, file: dict[str, Any] | None, adapter: str | None,
        checked: str | None) -> Any:
    allowed()
    if not file:
        raise PreventUpdate
    dry = dash.ctx.triggered_id == "imports-kpi-dry-run"
    if not dry and checked != _fingerprint(file, adapter):
        raise PreventUpdate  # the button is disabled; a stale click does nothing
    try:
        summary = import_file(runtime_of(), base64.b64decode(file["content"]), file["name"], dry_run=dry,
                              adapter=adapter or None, user_id=int(current_user.id))
    except IocError as exc:
        return dbc.Alert(exc.message, color="danger"), [], None, history()
    audit_action("import.kpi_dry_run" if dry else "import.kpi", target=f"import:{summary.run_id}",
                 detail={"file": file["name"], "rows": summary.validation.rows_total, "new": summary.new,
                         "revised": summary.revised})
    ok = dry and summary.validation.rows_kept > 0
    return _summary(summary), _problem_rows(summary), _fingerprint(file, adapter) if ok else None, history()


def _problem_rows(summary: IndicatorImportSummary) -> list[dict[str, Any]]:
    """The problems for the grid, their message in the page's language."""
    problems = summary.validation.problems.head(GRID_ROWS)
    return [{"row": row, "column": column, "value": value, "severity": severity,
             "message": t(f"impk.reason.{reason}") if has_text(f"impk.reason.{reason}") else message}
            for row, column, value, severity, reason, message in zip(
                problems["row"], problems["column"], problems["value"], problems["severity"], problems["reason"],
                problems["message"], strict=True)]


def _summary(summary: IndicatorImportSummary) -> Any:
    v = summary.validation
    figures = dict(zip(FIGURES, (v.rows_total, v.rows_kept, v.rows_skipped, summary.new, summary.revised,
                                 summary.unchanged), strict=True))
    cards = figure_cards([(f"impk.{name}", f"imports-kpi-count-{name}", n) for name, n in figures.items()])
    note = t("impk.dry_note") if summary.dry_run else ""
    return html.Div([cards, html.Div(note, className="small text-secondary mt-2")])


@callbacks.callback(Output("imports-kpi-run", "disabled"), Input("imports-kpi-checked", "data"),
          Input("imports-kpi-file", "data"), Input("imports-kpi-format", "value"))
def import_allowed(checked: str | None, file: dict[str, Any] | None, adapter: str | None) -> bool:
    return not (checked and file and checked == _fingerprint(file, adapter))


@callbacks.callback(Output("imports-kpi-download", "data"), Input("imports-kpi-template-csv", "n_clicks"),
          Input("imports-kpi-template-xlsx", "n_clicks"), Input("imports-kpi-download-btn", "n_clicks"),
          State("imports-kpi-file", "data"), State("imports-kpi-format", "value"), prevent_initial_call=True)
def download(_csv: int | None, _xlsx: int | None, _report: int | None, file: dict[str, Any] | None,
             adapter: str | None) -> Any:
    allowed()
    runtime = runtime_of()
    if dash.ctx.triggered_id == "imports-kpi-download-btn":
        if not file:
            raise PreventUpdate
        result = check_file(runtime, base64.b64decode(file["content"]), file["name"], adapter or None)
        return dcc.send_bytes(result.problems_csv(), f"bao-cao-nhap-{file['name']}.csv")
    with runtime.session() as session:
        specs = list(indicator_specs(session).values())
    today = datetime.now(runtime.settings.tz).date()
    if dash.ctx.triggered_id == "imports-kpi-template-xlsx":
        return dcc.send_bytes(template_xlsx(specs, today), "mau-nhap-chi-so.xlsx")
    return dcc.send_bytes(template_csv(specs, today), "mau-nhap-chi-so.csv")
