"""The reports filter's widgets, shared by /reports and /map (ids ``<prefix>-period``, ``<prefix>-dates``…).

Their values become a ``FilterChoice`` (``FilterChoice.of_widgets``), whose query string is the URL of
either page; the menus come from the database on each visit.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import dash_bootstrap_components as dbc
from dash import Input, dcc, html
from flask_login import current_user
from sqlalchemy import select

from dashboard.auth import runtime_of
from dashboard.i18n import lang, t, t_enum
from data.models import AdminUnit, Channel, ReportStatus, Role, utcnow
from data.reports.filters import PERIOD_DAYS, FilterChoice, ReportFilter
from data.reports.queries import choices

HIDDEN = {"display": "none"}


def filter_menus() -> dict[str, list[dict[str, Any]]]:
    """Options of the category, agency and area menus, in the viewer's language."""
    en = lang() == "en"
    with runtime_of().session() as session:
        menus = choices(session)
        units = session.execute(select(AdminUnit.id, AdminUnit.name, AdminUnit.level)
                                .where(AdminUnit.level.in_(("district", "ward")))
                                .order_by(AdminUnit.level, AdminUnit.name)).all()
    return {
        "categories": [{"label": e if en else v, "value": i} for i, v, e in menus["categories"]],
        "agencies": [{"label": e if en else v, "value": i} for i, v, e in menus["agencies"]],
        "areas": [{"label": f"{n} ({t('rep.district')})" if lvl == "district" else n, "value": i}
                  for i, n, lvl in units],
    }


def filter_bar(prefix: str, choice: FilterChoice, menus: dict[str, list[dict[str, Any]]]) -> Any:
    """Two rows of filter widgets holding ``choice``; agency staff do not get the agency menu."""
    agency_staff = current_user.role == Role.AGENCY
    periods = [{"label": t(f"rep.period.{k}"), "value": k} for k in PERIOD_DAYS]
    start = choice.start.isoformat() if choice.start else None
    end = choice.end.isoformat() if choice.end else None
    row1 = dbc.Row([
        dbc.Col(dcc.Dropdown(id=f"{prefix}-period", value=choice.period, clearable=False, options=periods), md=2),
        dbc.Col(dcc.DatePickerRange(id=f"{prefix}-dates", start_date=start, end_date=end,
                                    display_format="DD/MM/YYYY", clearable=True,
                                    start_date_placeholder_text=t("rep.from"),
                                    end_date_placeholder_text=t("rep.to"), first_day_of_week=1), md=4),
        dbc.Col(dbc.Input(id=f"{prefix}-search", type="search", value=choice.text, debounce=True,
                          placeholder=t("rep.search")), md=4),
        dbc.Col(dbc.Checkbox(id=f"{prefix}-overdue", label=t("common.overdue"), value=choice.overdue),
                md=2, className="pt-2"),
    ], className="g-2 mb-2")
    row2 = dbc.Row([
        dbc.Col(dcc.Dropdown(id=f"{prefix}-category", multi=True, placeholder=t("col.category"),
                             value=list(choice.categories), options=menus["categories"]), md=3),
        dbc.Col(dcc.Dropdown(id=f"{prefix}-status", multi=True, placeholder=t("col.status"),
                             value=list(choice.statuses),
                             options=[{"label": t_enum("status", s), "value": s.value} for s in ReportStatus]),
                md=2),
        dbc.Col(dcc.Dropdown(id=f"{prefix}-channel", multi=True, placeholder=t("col.channel"),
                             value=list(choice.channels),
                             options=[{"label": t_enum("channel", c), "value": c.value} for c in Channel]), md=2),
        dbc.Col(dcc.Dropdown(id=f"{prefix}-agency", multi=True, placeholder=t("col.agency"),
                             value=list(choice.agencies), options=menus["agencies"]), md=3,
                style=HIDDEN if agency_staff else None),
        dbc.Col(dcc.Dropdown(id=f"{prefix}-area", multi=True, placeholder=t("rep.area"),
                             value=list(choice.areas), options=menus["areas"]), md=2),
    ], className="g-2 mb-2")
    return html.Div([row1, row2], id=f"{prefix}-filters")


def filter_inputs(prefix: str) -> list[Input]:
    """The bar's values as callback inputs, in ``FilterChoice.of_widgets`` order."""
    return [Input(f"{prefix}-period", "value"), Input(f"{prefix}-dates", "start_date"),
            Input(f"{prefix}-dates", "end_date"), Input(f"{prefix}-category", "value"),
            Input(f"{prefix}-status", "value"), Input(f"{prefix}-channel", "value"),
            Input(f"{prefix}-agency", "value"), Input(f"{prefix}-area", "value"),
            Input(f"{prefix}-overdue", "value"), Input(f"{prefix}-search", "value")]


def viewer_filter(search: str | None) -> ReportFilter:
    """A page's filter from its query string, narrowed on the server to what this user may see."""
    f = ReportFilter.from_query(dict(parse_qsl((search or "").lstrip("?"))), utcnow(), runtime_of().settings.tz)
    return f.seen_by(str(current_user.role), current_user.agency_id)
