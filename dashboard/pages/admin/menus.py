"""The admin pages' menus, read on each visit, labelled in the reader's language (``dbc.Select``: values are
text, so ids travel as strings and come back through ``common.as_int``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.i18n import lang, t_enum
from data.models import AdminUnit, Agency, Category, Role

Options = list[dict[str, Any]]
# The empty choice. Not "": dbc.Select keeps "" for its own (disabled) placeholder option.
NONE_VALUE = "none"
NONE = {"label": "—", "value": NONE_VALUE}


def roles() -> Options:
    return [{"label": t_enum("role", role.value), "value": role.value} for role in Role]


def agencies(session: Session) -> Options:
    """Active agencies (a retired one takes no new staff and no new reports)."""
    en = lang() == "en"
    rows = session.execute(select(Agency.id, Agency.name, Agency.name_en).where(Agency.active)
                           .order_by(Agency.name))
    return [{"label": (e or n) if en else n, "value": str(i)} for i, n, e in rows]


def categories(session: Session) -> Options:
    en = lang() == "en"
    rows = session.execute(select(Category.id, Category.name, Category.name_en).order_by(Category.name))
    return [{"label": (e or n) if en else n, "value": str(i)} for i, n, e in rows]


def units(session: Session) -> Options:
    """Administrative units by name, each with its level (a rule on a province covers its wards)."""
    rows = session.execute(select(AdminUnit.id, AdminUnit.name, AdminUnit.level)
                           .order_by(AdminUnit.name, AdminUnit.level))
    return [{"label": f"{n} ({t_enum('level', level)})", "value": str(i)} for i, n, level in rows]


def with_none(options: Options, label: str | None = None) -> Options:
    """``options`` after an empty choice (no agency, every unit)."""
    return [NONE | ({"label": label} if label else {}), *options]
