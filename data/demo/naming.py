"""Names and codes made from Vietnamese place names: ASCII, slugs, English unit names."""

from __future__ import annotations

import re
import unicodedata

from data.core.text import fold

UNIT_KINDS = (
    ("Thành phố ", "City"),
    ("Thị xã ", "Town"),
    ("Huyện ", "District"),
    ("Phường ", "Ward"),
    ("Quận ", "District"),
    ("Xã ", "Commune"),
    ("Tỉnh ", "Province"),
)


def ascii_text(text: str) -> str:
    """``"Thị xã Hương Thủy"`` → ``"Thi xa Huong Thuy"`` (case kept; for English names)."""
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slug(text: str) -> str:
    """A lower-case ASCII code: ``"Phường Vĩnh Ninh"`` → ``"phuong-vinh-ninh"``."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def english_unit_name(name: str) -> str:
    """``"Thị xã Hương Thủy"`` → ``"Huong Thuy Town"``: unit names as English texts write them."""
    for prefix, kind in UNIT_KINDS:
        if name.startswith(prefix):
            return f"{ascii_text(name[len(prefix) :])} {kind}"
    return ascii_text(name)
