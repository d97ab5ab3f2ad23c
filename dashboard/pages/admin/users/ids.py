"""The users page's component ids; every one starts with ``admin-users-`` (the callback guard's ``admin-``)."""

from __future__ import annotations

LIST = "admin-users-list"  # the table of accounts
CHANGED = "admin-users-changed"  # counts changes made on this page: the table redraws after each

CREATE_USERNAME = "admin-users-new-username"
CREATE_SUBMIT = "admin-users-new-submit"
CREATE_MESSAGE = "admin-users-new-message"  # the outcome, with the one-time password (shown once)
ONE_TIME = "admin-users-one-time"  # the one-time password itself, in either message

EDIT = "admin-users-edit"  # a row's "edit" button: {"type": EDIT, "id": user id}
PANEL = "admin-users-panel"
PANEL_TITLE = "admin-users-panel-title"
TARGET = "admin-users-target"  # {"id": …, "version": …} of the account in the panel, as the admin saw it
SAVE = "admin-users-save"
TOGGLE_ACTIVE = "admin-users-toggle-active"
RESET = "admin-users-reset"
PANEL_MESSAGE = "admin-users-panel-message"


def new_field(name: str) -> str:
    """A field of the create form."""
    return f"admin-users-new-{name}"


def edit_field(name: str) -> str:
    """A field of the edit panel."""
    return f"admin-users-edit-{name}"
