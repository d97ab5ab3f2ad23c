"""Vietnamese text helpers: folding for diacritics-insensitive search and matching."""

from __future__ import annotations

import unicodedata

# NFKD splits most accents off; đ/Đ is a letter of its own and must be mapped by hand.
_EXTRA = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str | None) -> str:
    """Lower-case ``text`` and drop its diacritics: ``"Đường Lê Lợi"`` → ``"duong le loi"``."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.translate(_EXTRA))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())
