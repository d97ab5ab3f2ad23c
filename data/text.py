"""Vietnamese text helpers: folding for diacritics-insensitive search and matching."""

from __future__ import annotations

import re
import unicodedata

# NFKD splits most accents off; đ/Đ is a letter of its own and must be mapped by hand.
# The combining diacritics block holds every Vietnamese accent. Text whose only non-ASCII characters
# after NFKD are those marks (all Vietnamese, all English) drops them in one C pass (an ASCII encode);
# only other scripts pay for the per-character Python loop.
_DIACRITICS = re.compile("[\u0300-\u036f]+")
_OTHER_THAN_MARKS = re.compile("[^\x00-\x7f\u0300-\u036f]")


def fold(text: str | None) -> str:
    """Lower-case ``text`` and drop its diacritics: ``"Đường Lê Lợi"`` → ``"duong le loi"``."""
    if not text:
        return ""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "d"))
        if _OTHER_THAN_MARKS.search(text) is None:
            text = text.encode("ascii", "ignore").decode("ascii")
        else:
            text = "".join(ch for ch in _DIACRITICS.sub("", text) if not unicodedata.combining(ch))
    return " ".join(text.lower().split())
