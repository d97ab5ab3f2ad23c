"""Nhập dữ liệu: upload a CSV/Excel export, map its columns and words, dry-run, then import.

The import itself is ``data.intake.bulk.reports``; this page only maps and shows.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate
from flask_login import current_user
from sqlalchemy import select

from dashboard import imports_kpi
from dashboard.auth import audit_action, runtime_of
from dashboard.components import fmt_number, page_guard
from dashboard.i18n import lang, t, t_enum
from dashboard.imports_common import allowed, figure_cards, history_table, run_controls
from data.core.errors import IocError
from data.core.tabular import read_table
from data.intake.bulk.reports import (
    VALUE_FIELDS,
    ColumnMapping,
    FormatMismatch,
    ImportSummary,
    check_file,
    import_reports,
    preset,
    presets,
    source_name,
    value_choices,
)
from data.models import Agency, Category, ReportStatus

dash.register_page(__name__, path="/imports", name="imports", title="IOC – Nhập dữ liệu")
imports_kpi.callbacks.register()

# Our field → whether it takes several source columns (joined).
FIELDS = {"external_id": False, "created_at": False, "closed_at": False, "title": False, "description": True,
          "category": False, "status": False, "lat": False, "lon": False, "address": True, "channel": False,
          "agency": False}
GRID_ROWS = 5000  # the rest is in the downloadable report
UNMAPPED_ROWS = 200  # lines of the unmapped values table; the CLI and the report list them all
VALUE = {"type": "imports-value", "field": ALL, "index": ALL}
# Everything the mapping is made of, in the order ``_mapping`` takes it (as States, or Inputs).
MAPPING_PARTS: list[tuple[Any, str]] = [("imports-preset", "value"), ({"type": "imports-field", "field": ALL}, "value"),
                 ("imports-format", "value"), ("imports-source", "value"), (VALUE, "id"), (VALUE, "value"),
                 ("imports-values-listed", "data")]


def _states() -> list[State]:
    return [State(ident, prop) for ident, prop in MAPPING_PARTS]


def layout(**_: Any) -> Any:
    refused = page_guard("imports")
    if refused is not None:
        return refused
    # Two tabs: reports (below) and KPI values (dashboard/imports_kpi.py).
    reports = html.Div([
        html.H1(t("imp.title"), className="h4"),
        dcc.Store(id="imports-file"), dcc.Store(id="imports-checked"), dcc.Download(id="imports-download"),
        dcc.Store(id="imports-values-listed"),
        dbc.Row([
            dbc.Col(dcc.Upload(id="imports-upload", children=html.Div(t("imp.upload"), id="imports-file-name"),
                               className="border border-secondary rounded p-3 text-center",
                               accept=".csv,.xlsx,.geojson,.txt"), md=6),
            dbc.Col(dcc.Dropdown(id="imports-preset", options=[{"label": preset(n).label or n, "value": n}
                                                               for n in presets()],
                                 placeholder=t("imp.preset")), md=3),
            dbc.Col(dbc.Input(id="imports-format", placeholder=t("imp.format")), md=3),
        ], className="g-2 mb-2"),
        # The duplicate check's scope: a name the user sees and may change (issue 14, item 3).
        dbc.Row([
            dbc.Col(dbc.Label(t("imp.source"), html_for="imports-source", className="col-form-label"), md=3),
            dbc.Col([dbc.Input(id="imports-source", placeholder=t("imp.source_hint")),
                     dbc.FormText(t("imp.source_help"))], md=9),
        ], className="g-2 mb-3"),
        html.Div(id="imports-mapping"),
        html.Div(id="imports-values"),
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
          Output("imports-source", "value"), Output("imports-values", "children"),
          Output("imports-values-listed", "data"),
          Input("imports-file", "data"), Input("imports-preset", "value"), prevent_initial_call=True)
def mapping_table(file: dict[str, Any] | None, chosen: str | None) -> Any:
    """The column choices (the preset's, where the file has them) and, in the same answer, the value
    tables they give: a dry run never sees the one without the other."""
    allowed()
    if not file:
        raise PreventUpdate
    base: dict[str, Any] = preset(chosen).model_dump() if chosen else {}
    options = [{"label": c, "value": c} for c in file["header"]]
    rows, columns = [], []
    for name, multi in FIELDS.items():
        value: Any = base.get(name)
        if multi:
            value = [v for v in value or [] if v in file["header"]]
        elif value not in file["header"]:
            value = None
        columns.append(value)
        rows.append(dbc.Row([
            dbc.Col(html.Label(t(f"imp.field.{name}")), md=3),
            dbc.Col(dcc.Dropdown(id={"type": "imports-field", "field": name}, options=options, value=value,
                                 multi=multi), md=6),
        ], className="g-2 mb-1"))
    values, listed = _value_section(file, _columns_only(chosen, columns))
    return rows, base.get("datetime_format"), base.get("source"), values, listed


@callback(Output("imports-values", "children", allow_duplicate=True),
          Output("imports-values-listed", "data", allow_duplicate=True),
          Input({"type": "imports-field", "field": ALL}, "value"), State("imports-file", "data"),
          State("imports-preset", "value"), State("imports-values-listed", "data"), prevent_initial_call=True,
          # A dry run while the tables are on their way would check another mapping than the one shown.
          running=[(Output("imports-dry-run", "disabled"), True, False)])
def value_tables(fields: list[Any], file: dict[str, Any] | None, chosen: str | None,
                 listed: dict[str, Any] | None) -> Any:
    """The value tables again when the user picks another status/category/agency column."""
    allowed()
    if not file or not fields:
        raise PreventUpdate
    mapping = _columns_only(chosen, fields)
    shown = {name: found["column"] for name, found in (listed or {}).items()}
    if shown == {name: getattr(mapping, name) for name in VALUE_FIELDS if getattr(mapping, name)}:
        raise PreventUpdate  # another column changed: keep the values chosen
    return _value_section(file, mapping)


def _value_section(file: dict[str, Any], mapping: ColumnMapping) -> tuple[Any, dict[str, Any]]:
    """A table per mapped status/category/agency column (each value in the file, its rows, our value),
    and what they list (the Store the mapping is rebuilt from)."""
    frame = read_table(base64.b64decode(file["content"]), file["name"])
    options = _value_options()
    tables, listed = [], {}
    for name in VALUE_FIELDS:
        column = getattr(mapping, name)
        if column is None:
            continue
        choices, complete = value_choices(frame, mapping, name)
        listed[name] = {"column": column, "values": choices["value"].tolist(), "complete": complete}
        tables.append(_value_table(name, column, choices.to_dict("records"), options[name], complete))
    if not tables:
        return None, {}
    return html.Div([html.H2(t("imp.values"), className="h5 mt-3"),
                     html.P(t("imp.values_help"), className="small text-secondary"), *tables]), listed


def _value_options() -> dict[str, list[dict[str, str]]]:
    """Our values a source value may map onto, labelled in the reader's language."""
    en = lang() == "en"
    with runtime_of().session() as session:
        categories = session.execute(select(Category.code, Category.name, Category.name_en)
                                     .order_by(Category.name)).all()
        agencies = session.execute(select(Agency.code, Agency.name, Agency.name_en)
                                   .where(Agency.active.is_(True)).order_by(Agency.name)).all()
    return {
        "status": [{"label": t_enum("status", s.value), "value": s.value} for s in ReportStatus],
        "category": [{"label": (c.name_en or c.name) if en else c.name, "value": c.code} for c in categories],
        "agency": [{"label": (a.name_en or a.name) if en else a.name, "value": a.code} for a in agencies],
    }


def _value_table(name: str, column: str, choices: list[dict[Any, Any]], options: list[dict[str, str]],
                 complete: bool) -> Any:
    known = {o["value"] for o in options}
    head = html.Thead(html.Tr([html.Th(t("imp.values_col.value")), html.Th(t("imp.values_col.rows")),
                               html.Th(t("imp.values_col.ours"))]))
    rows = [html.Tr([html.Td(c["value"]), html.Td(fmt_number(c["rows"])),
                     html.Td(dcc.Dropdown(id={"type": "imports-value", "field": name, "index": i}, options=options,
                                          value=c["ours"] if c["ours"] in known else None,
                                          placeholder=t("imp.values_none")), style={"minWidth": "18rem"})])
            for i, c in enumerate(choices)]
    more = [] if complete else [html.P(t("imp.values_more").format(n=len(choices)), className="small")]
    return html.Div([html.H3(f"{t(f'imp.field.{name}')} – «{column}»", className="h6 mt-2"),
                     dbc.Table([head, html.Tbody(rows)], size="sm", id=f"imports-values-{name}"), *more])


def _columns_only(chosen: str | None, fields: list[Any]) -> ColumnMapping:
    """The preset with the page's column choices (enough to read the file's values)."""
    values: dict[str, Any] = preset(chosen).model_dump() if chosen else {"source": "upload"}
    values.update({name: value or ([] if multi else None)
                   for (name, multi), value in zip(FIELDS.items(), fields, strict=True)})
    return ColumnMapping.model_validate(values)


def _mapping(chosen: str | None, fields: list[Any], fmt: str | None, source: str | None,
             value_ids: list[dict[str, Any]], values: list[str | None],
             listed: dict[str, Any] | None) -> ColumnMapping:
    """Everything chosen on the page as one mapping: columns, date format, source, value maps."""
    mapping = _columns_only(chosen, fields).model_copy(
        update={"datetime_format": fmt or None, "source": source_name(source)})
    for name, found in (listed or {}).items():
        picked = {found["values"][i["index"]]: v for i, v in zip(value_ids, values, strict=True)
                  if i["field"] == name and i["index"] < len(found["values"])}
        mapping = mapping.with_values(name, picked, found["complete"])
    return mapping


def _fingerprint(file: dict[str, Any], mapping: ColumnMapping) -> str:
    return hashlib.sha256((file["sha"] + mapping.model_dump_json()).encode()).hexdigest()


@callback(Output("imports-summary", "children"), Output("imports-problems", "rowData"),
          Output("imports-checked", "data"), Output("imports-history", "children"),
          Input("imports-dry-run", "n_clicks"), Input("imports-run", "n_clicks"),
          State("imports-file", "data"), State("imports-checked", "data"), *_states(), prevent_initial_call=True)
def run(_dry: int | None, _run: int | None, file: dict[str, Any] | None, checked: str | None,
        chosen: str | None, fields: list[Any], *parts: Any) -> Any:
    allowed()
    if not file or not fields:
        raise PreventUpdate
    dry = dash.ctx.triggered_id == "imports-dry-run"
    if not (parts[1] or "").strip():
        return dbc.Alert(t("imp.source_needed"), color="danger", id="imports-error"), [], None, _history()
    try:
        mapping = _mapping(chosen, fields, *parts)
        if not dry and checked != _fingerprint(file, mapping):
            raise PreventUpdate  # the button is disabled; a stale click does nothing
        summary = import_reports(runtime_of(), None, mapping, dry_run=dry, user_id=int(current_user.id),
                                 content=base64.b64decode(file["content"]), filename=file["name"])
    except (IocError, ValueError) as exc:
        return (dbc.Alert(getattr(exc, "message", str(exc)), color="danger", id="imports-error"), [], None,
                _history())
    audit_action("import.dry_run" if dry else "import", target=f"import:{summary.run_id}",
                 detail={"file": file["name"], "source": mapping.source, "rows": summary.validation.rows_total,
                         "imported": summary.imported})
    problems = summary.validation.problems.head(GRID_ROWS).to_dict("records")
    ok = dry and summary.to_import > 0
    return _summary(summary), problems, _fingerprint(file, mapping) if ok else None, _history()


def _summary(summary: ImportSummary) -> Any:
    v = summary.validation
    figures = [("imp.rows_total", v.rows_total), ("imp.rows_kept", v.rows_kept),
               ("imp.rows_skipped", summary.skipped), ("imp.warnings", v.warnings)]
    if summary.already_imported:
        figures.append(("imp.already", summary.already_imported))
    if not summary.dry_run:
        figures.append(("imp.imported", summary.imported))
    cards = figure_cards([(key, f"imports-count-{key.split('.')[1]}", n) for key, n in figures])
    source = html.P(t("imp.source_is").format(source=summary.source), className="small mt-2 mb-1",
                    id="imports-source-used")
    # A wrong date format is one mistake: one warning (a line per date column), not a row per row.
    dates = [dbc.Alert([html.Div(_mismatch_text(m)) for m in v.format_mismatches], color="warning",
                       className="mt-2", id="imports-date-warning")] if v.format_mismatches else []
    reasons = html.Ul([html.Li(f"{count} × {key.split(':', 1)[1]}") for key, count in v.counts().items()],
                      className="small mt-2")
    return html.Div([cards, source, *dates, _unmapped_table(summary), reasons])


def _mismatch_text(mismatch: FormatMismatch) -> str:
    text = t("imp.date_format_none").format(fmt=mismatch.datetime_format, column=mismatch.column,
                                            example=mismatch.example, rows=fmt_number(mismatch.rows))
    return text + (t("imp.date_format_try").format(fmt=mismatch.suggestion) if mismatch.suggestion else "")


def _unmapped_table(summary: ImportSummary) -> Any:
    """The source values no value map knows, and what their rows get instead (issue 14, item 4)."""
    unmapped = summary.validation.unmapped.head(UNMAPPED_ROWS).to_dict("records")
    if not unmapped:
        return None
    head = html.Thead(html.Tr([html.Th(t(k)) for k in ("imp.unmapped_col.field", "imp.column",
                                                        "imp.values_col.value", "imp.values_col.rows",
                                                        "imp.unmapped_col.outcome")]))
    rows = [html.Tr([html.Td(t(f"imp.field.{u['field']}")), html.Td(u["column"]), html.Td(u["value"]),
                     html.Td(fmt_number(u["rows"])), html.Td(_outcome(u))]) for u in unmapped]
    return html.Div([html.H3(t("imp.unmapped"), className="h6 mt-3"),
                     dbc.Table([head, html.Tbody(rows)], size="sm", striped=True, id="imports-unmapped")])


def _outcome(unmapped: dict[Any, Any]) -> str:
    """What the rows of an unmapped value get, in the reader's language."""
    used, code = unmapped["used"], unmapped["code"]
    if used == "skip":
        return t("imp.unmapped.skip")
    if unmapped["field"] == "status":
        return t("imp.unmapped.status").format(status=t_enum("status", used))
    found = t("imp.unmapped.unknown").format(code=code) + " – " if code else ""
    if used:
        return found + t("imp.unmapped.default").format(code=used)
    return found + t("imp.unmapped.classifier" if unmapped["field"] == "category" else "imp.unmapped.router")


@callback(Output("imports-run", "disabled"), Input("imports-checked", "data"), Input("imports-file", "data"),
          *[Input(ident, prop) for ident, prop in MAPPING_PARTS])
def import_allowed(checked: str | None, file: dict[str, Any] | None, chosen: str | None, fields: list[Any],
                   *parts: Any) -> bool:
    if not checked or not file or not fields:
        return True
    try:
        return checked != _fingerprint(file, _mapping(chosen, fields, *parts))
    except (IocError, ValueError):
        return True


@callback(Output("imports-download", "data"), Input("imports-download-btn", "n_clicks"),
          State("imports-file", "data"), *_states(), prevent_initial_call=True)
def download(_n: int | None, file: dict[str, Any] | None, chosen: str | None, fields: list[Any], *parts: Any) -> Any:
    allowed()
    if not file or not fields:
        raise PreventUpdate
    try:
        mapping = _mapping(chosen, fields, *parts)
    except (IocError, ValueError):
        raise PreventUpdate from None  # the dry run says what is wrong
    result = check_file(runtime_of(), base64.b64decode(file["content"]), file["name"], mapping)
    return dcc.send_bytes(result.problems_csv(), f"bao-cao-nhap-{file['name']}.csv")
