"""Vietnamese first, English on request: the language is a cookie set by ``/lang/<code>``.

The texts live in one catalogue per language, ``<code>.toml`` beside this file: the same keys in each,
grouped by page. A new language is a new catalogue and its code in ``LANGS``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from flask import current_app, has_request_context, request

LANGS = ("vi", "en")
CATALOGUES = Path(__file__).resolve().parent


@cache
def catalogue(code: str) -> Mapping[str, str]:
    """Every text of one language (``code`` in ``LANGS``), read once per process."""
    with (CATALOGUES / f"{code}.toml").open("rb") as file:
        texts = tomllib.load(file)
    wrong = [key for key, value in texts.items() if not isinstance(value, str)]
    if wrong:  # a key written as a TOML table or number: a typo in the catalogue, caught on first use
        raise ValueError(f"{code}.toml: not a text: {', '.join(wrong)}")
    return texts


def has_text(key: str) -> bool:
    """Whether the catalogues have a text for ``key``."""
    return key in catalogue(LANGS[0])


def lang() -> str:
    """The language of this request: the ``lang`` cookie, else the deployment's default."""
    if has_request_context():
        chosen = request.cookies.get("lang")
        if chosen in LANGS:
            return chosen
        runtime = current_app.extensions.get("ioc")
        if runtime is not None:
            return str(runtime.settings.default_language)
    return "vi"


def t(key: str) -> str:
    """The text for ``key`` in the current language (the key itself if it is unknown)."""
    code = lang()
    return catalogue(code if code in LANGS else LANGS[0]).get(key, key)


def t_enum(prefix: str, value: str | None) -> str:
    """A translated enum value (status, channel, ...), or the raw value if it has no text."""
    if value is None:
        return ""
    key = f"{prefix}.{value}"
    return t(key) if has_text(key) else value
