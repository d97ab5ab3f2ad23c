"""Nhập dữ liệu: upload a CSV/Excel export, map its columns, dry-run, then import (data/report_import.py)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate
from flask_login import current_user

from dashboard import imports_kpi
from dashboard.auth import audit_action, runtime_of
from dashboard.components import page_guard
from dashboard.i18n import t
from dashboard.imports_common import allowed, figure_cards, history_table, run_controls
from data.errors import IocError
from data.report_import import (
    ColumnMapping,
    ImportSummary,
    context_of,
    import_reports,
    preset,
    presets,
    read_table,
    validate,
)

dash.register_page(__name__, path="/imports", name="imports", title="IOC – Nhập dữ liệu")

# Our field → whether it takes several source columns (joined).
FIELDS = {"external_id": False, "created_at": False, "closed_at": False, "title": False, "description": True,
          "category": False, "status": False, "lat": False, "lon": False, "address": True, "channel": False,
          "agency": False}
GRID_ROWS = 5000  # the rest is in the downloadable report


def layout(**_: Any) -> Any:
    refused = page_guard("imports")
    if refused is not None:
        return refused
    # Two tabs: reports (below) and KPI values (dashboard/imports_kpi.py).
    reports = html.Div([
        html.H1(t("imp.title"), className="h4"),
        dcc.Store(id="imports-file"), dcc.Store(id="imports-checked"), dcc.Download(id="imports-download"),
        dbc.Row([
            dbc.Col(dcc.Upload(id="imports-upload", children=html.Div(t("imp.upload"), id="imports-file-name"),
                               className="border border-secondary rounded p-3 text-center",
                               accept=".csv,.xlsx,.geojson,.txt"), md=6),
            dbc.Col(dcc.Dropdown(id="imports-preset", options=[{"label": preset(n).label or n, "value": n}
                                                               for n in presets()],
                                 placeholder=t("imp.preset")), md=3),
            dbc.Col(dbc.Input(id="imports-format", placeholder=t("imp.format")), md=3),
        ], className="g-2 mb-3"),
        html.Div(id="imports-mapping"),
        *run_controls("imports"),
        html.H2(t("imp.history"), className="h5 mt-4"),
        html.Div(_history(), id="imports-history"),
    ])
    return dbc.Tabs([dbc.Tab(reports, label=t("imp.tab.reports"), tab_id="reports"),
                     dbc.Tab(imports_kpi.tab(), label=t("imp.tab.kpis"), tab_id="kpis")],
                    id="imports-tabs", active_tab="reports", className="mb-3")


def _history() -> Any:
    return history_table("reports", "imports-history-table", "imp.imported")


@callback(Output("imports-file", "data"), Output("imports-file-name", "children"),
          Input("imports-upload", "contents"), State("imports-upload", "filename"), prevent_initial_call=True)
def uploaded(contents: str | None, filename: str | None) -> Any:
    allowed()
    if not contents:
        raise PreventUpdate
    raw = base64.b64decode(contents.split(",", 1)[1])
    try:
        header = list(read_table(raw, filename).columns)
    except IocError as exc:
        return None, dbc.Alert(exc.message, color="danger", className="m-0")
    return ({"name": filename, "content": contents.split(",", 1)[1], "header": header,
             "sha": hashlib.sha256(raw).hexdigest()}, f"{filename} – {len(header)} {t('imp.columns')}")


@callback(Output("imports-mapping", "children"), Output("imports-format", "value"),
          Input("imports-file", "data"), Input("imports-preset", "value"), prevent_initial_call=True)
def mapping_table(file: dict[str, Any] | None, chosen: str | None) -> Any:
    allowed()
    if not file:
        raise PreventUpdate
    base: dict[str, Any] = preset(chosen).model_dump() if chosen else {}
    options = [{"label": c, "value": c} for c in file["header"]]
    rows = []
    for name, multi in FIELDS.items():
        value: Any = base.get(name)
        if multi:
            value = [v for v in value or [] if v in file["header"]]
        elif value not in file["header"]:
            value = None
        rows.append(dbc.Row([
            dbc.Col(html.Label(t(f"imp.field.{name}")), md=3),
            dbc.Col(dcc.Dropdown(id={"type": "imports-field", "field": name}, options=options, value=value,
                                 multi=multi), md=6),
        ], className="g-2 mb-1"))
    return rows, base.get("datetime_format")


def _mapping(chosen: str | None, fields: list[Any], fmt: str | None) -> ColumnMapping:
    values: dict[str, Any] = preset(chosen).model_dump() if chosen else {"source": "upload"}
    values.update({name: value or ([] if multi else None)
                   for (name, multi), value in zip(FIELDS.items(), fields, strict=True)})
    values["datetime_format"] = fmt or None
    return ColumnMapping.model_validate(values)


def _fingerprint(file: dict[str, Any], mapping: ColumnMapping) -> str:
    return hashlib.sha256((file["sha"] + mapping.model_dump_json()).encode()).hexdigest()


@callback(Output("imports-summary", "children"), Output("imports-problems", "rowData"),
          Output("imports-checked", "data"), Output("imports-history", "children"),
          Input("imports-dry-run", "n_clicks"), Input("imports-run", "n_clicks"),
          State("imports-file", "data"), State("imports-preset", "value"),
          State({"type": "imports-field", "field": ALL}, "value"), State("imports-format", "value"),
          State("imports-checked", "data"), prevent_initial_call=True)
def run(_dry: int | None, _run: int | None, file: dict[str, Any] | None, chosen: str | None,
        fields: list[Any], fmt: str | None, checked: str | None) -> Any:
    allowed()
    if not file or not fields:
        raise PreventUpdate
    dry = dash.ctx.triggered_id == "imports-dry-run"
    try:
        mapping = _mapping(chosen, fields, fmt)
        if not dry and checked != _fingerprint(file, mapping):
            raise PreventUpdate  # the button is disabled; a stale click does nothing
        summary = import_reports(runtime_of(), None, mapping, dry_run=dry, user_id=int(current_user.id),
                                 content=base64.b64decode(file["content"]), filename=file["name"])
    except (IocError, ValueError) as exc:
        return dbc.Alert(getattr(exc, "message", str(exc)), color="danger"), [], None, _history()
    audit_action("import.dry_run" if dry else "import", target=f"import:{summary.run_id}",
                 detail={"file": file["name"], "rows": summary.validation.rows_total, "imported": summary.imported})
    problems = summary.validation.problems.head(GRID_ROWS).to_dict("records")
    ok = dry and summary.validation.rows_kept > 0
    return _summary(summary), problems, _fingerprint(file, mapping) if ok else None, _history()


def _summary(summary: ImportSummary) -> Any:
    v = summary.validation
    figures = [("imp.rows_total", v.rows_total), ("imp.rows_kept", v.rows_kept),
               ("imp.rows_skipped", summary.skipped), ("imp.warnings", v.warnings)]
    if not summary.dry_run:
        figures.append(("imp.imported", summary.imported))
    cards = figure_cards([(key, f"imports-count-{key.split('.')[1]}", n) for key, n in figures])
    reasons = html.Ul([html.Li(f"{count} × {key.split(':', 1)[1]}") for key, count in v.counts().items()],
                      className="small mt-2")
    return html.Div([cards, reasons])


@callback(Output("imports-run", "disabled"), Input("imports-checked", "data"), Input("imports-file", "data"),
          Input("imports-preset", "value"), Input({"type": "imports-field", "field": ALL}, "value"),
          Input("imports-format", "value"))
def import_allowed(checked: str | None, file: dict[str, Any] | None, chosen: str | None, fields: list[Any],
                   fmt: str | None) -> bool:
    if not checked or not file or not fields:
        return True
    try:
        return checked != _fingerprint(file, _mapping(chosen, fields, fmt))
    except ValueError:
        return True


@callback(Output("imports-download", "data"), Input("imports-download-btn", "n_clicks"),
          State("imports-file", "data"), State("imports-preset", "value"),
          State({"type": "imports-field", "field": ALL}, "value"), State("imports-format", "value"),
          prevent_initial_call=True)
def download(_n: int | None, file: dict[str, Any] | None, chosen: str | None, fields: list[Any],
             fmt: str | None) -> Any:
    allowed()
    if not file or not fields:
        raise PreventUpdate
    frame = read_table(base64.b64decode(file["content"]), file["name"])
    with runtime_of().session() as session:
        result = validate(frame, _mapping(chosen, fields, fmt), context_of(runtime_of(), session))
    return dcc.send_bytes(result.problems_csv(), f"bao-cao-nhap-{file['name']}.csv")
