"""Errors as the reader reads them: a ``FieldError`` names its field and says what is expected, in the
reader's language (``field.<name>`` and ``err.<code>`` in the catalogues); any other ``IocError`` keeps
its own (Vietnamese, English) message."""

from __future__ import annotations

from dashboard.i18n import has_text, t
from data.core.errors import FieldError, IocError


def field_label(field: str) -> str:
    """The form's label of ``field`` (the field's own name when the catalogues have none)."""
    key = f"field.{field}"
    return t(key) if has_text(key) else field


def error_text(exc: IocError) -> str:
    """What to show for ``exc``: «Field»: what is wrong and what is expected."""
    if not isinstance(exc, FieldError):
        key = f"err.{type(exc).__name__.lower()}"
        return t(key) if has_text(key) else exc.message
    key = f"err.{exc.code}"
    text = t(key).format(**exc.params) if has_text(key) else exc.message
    return f"«{field_label(exc.field)}»: {text}"
