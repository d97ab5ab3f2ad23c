"""What the admin pages share: the guard, who is acting, and how an outcome is shown."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from flask import request
from flask_login import current_user

from dashboard.components import page_guard
from dashboard.messages import error_text
from data.accounts.audit import Who
from data.core.errors import IocError

PAGE = "admin"  # the role table's name for every admin page (data.accounts.users.PAGE_ROLES)


def refused(path: str) -> Any | None:
    """None for an admin; else the login prompt or the refusal (and its audit entry)."""
    return page_guard(PAGE, path)


def who() -> Who:
    """The signed-in admin, as the audit log names them."""
    return Who(int(current_user.id), current_user.username, request.remote_addr)


def failure(exc: IocError, ident: str) -> Any:
    """A refused change: what is wrong, naming the field; nothing was applied."""
    return dbc.Alert(error_text(exc), color="warning" if exc.status == 409 else "danger", id=ident,
                     dismissable=True)


def success(children: Any, ident: str) -> Any:
    return dbc.Alert(children, color="success", id=ident, dismissable=True)


def as_int(value: Any) -> int | None:
    """A menu's or a store's value as an id (None when empty or not a number)."""
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
