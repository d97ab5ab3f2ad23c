"""The per-language catalogues (dashboard/i18n/<code>.toml) stay in step: same keys, same placeholders."""

from __future__ import annotations

import string

from flask import Flask

from dashboard.i18n import LANGS, catalogue, has_text, t, t_enum


def _placeholders(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def test_every_language_has_every_key_with_the_same_placeholders() -> None:
    first = catalogue(LANGS[0])
    for code in LANGS[1:]:
        other = catalogue(code)
        assert list(other) == list(first), f"{code}.toml: keys differ from {LANGS[0]}.toml (or their order)"
        assert [k for k in first if _placeholders(first[k]) != _placeholders(other[k])] == []


def test_lookup_follows_the_language_cookie_and_falls_back_to_the_key() -> None:
    app = Flask(__name__)
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert t("nav.map") == "Map"
        assert t_enum("status", "received") == "Received"
        assert t_enum("status", "no-such-status") == "no-such-status"
        assert t("no.such.key") == "no.such.key"
    with app.test_request_context():
        assert t("nav.map") == "Bản đồ"
    assert has_text("nav.map") and not has_text("nav.nowhere")
