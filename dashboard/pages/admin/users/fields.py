"""The fields of the create form and the edit panel, one line each, named as in
``data.accounts.user_admin.FIELDS``. A ward-scoped account's ward is one more line::

    Field("admin_unit_id", "select", lambda menus: with_none(menus["units"])),
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from dashboard.messages import field_label
from dashboard.pages.admin.menus import NONE_VALUE, Options, with_none

Menus = Mapping[str, Options]


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # "text", "select" or "flag"
    options: Callable[[Menus], Options] | None = None
    on_create: bool = True  # shown on the create form too


FORM = (
    Field("full_name", "text"),
    Field("role", "select", lambda menus: menus["roles"]),
    Field("agency_id", "select", lambda menus: with_none(menus["agencies"])),
    Field("must_change_password", "flag", on_create=False),  # a new account must change it anyway
)


def widget(field: Field, ident: str, menus: Menus, value: Any = None) -> Any:
    """The field's label and input, wired by id (screen readers read the label)."""
    if field.kind == "flag":
        return dbc.Checkbox(id=ident, label=field_label(field.name), value=bool(value), className="mb-2")
    if field.kind == "select" and field.options is not None:
        control: Any = dbc.Select(id=ident, options=field.options(menus), value=shown(field, value))
    else:
        control = dbc.Input(id=ident, value=shown(field, value), maxLength=200, type="text")
    return html.Div([dbc.Label(field_label(field.name), html_for=ident), control], className="mb-2")


def shown(field: Field, value: Any) -> Any:
    """A stored value as the field's input holds it: menus hold text, and ``NONE_VALUE`` for none."""
    if field.kind == "flag":
        return bool(value)
    if field.kind == "select":
        return NONE_VALUE if value is None else str(value)
    return value or ""


def values(fields: tuple[Field, ...], entered: tuple[Any, ...]) -> dict[str, Any]:
    """What the form holds, by field name (callbacks get it in ``fields`` order); a menu's none is None."""
    return {field.name: None if field.kind == "select" and value == NONE_VALUE else value
            for field, value in zip(fields, entered, strict=True)}


CREATE_FORM = tuple(f for f in FORM if f.on_create)
