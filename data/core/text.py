"""Vietnamese text helpers: folding for diacritics-insensitive search and matching; input hygiene."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    pass

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


# ---------------------------------------------------------------------------------------------
# Input hygiene: what a person can type but a program should not trust
# ---------------------------------------------------------------------------------------------

NUL = "\x00"  # PostgreSQL cannot store it in text; no person types it


def ascii_digits(value: str) -> bool:
    """A non-empty run of 0-9 only: ``"²".isdigit()`` and ``"٣".isdigit()`` are true, and ``int("²")`` fails."""
    return value.isascii() and value.isdigit()


def has_nul(value: object) -> bool:
    """A NUL character in a string, or in any key or string of a JSON-like list or dict."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(has_nul(v) for v in value)
    return False


def without_nul(value: Any) -> Any:
    """The same JSON-like value with every NUL character removed from its strings and keys."""
    if isinstance(value, str):
        return value.replace(NUL, "")
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_nul(v) for v in value]
    return value


def shown(value: str) -> str:
    """A name as it may be echoed in a message: a NUL written ``\\x00`` (XML cannot carry the character)."""
    return value.replace(NUL, "\\x00")


class _TextOfHtml(HTMLParser):
    """The readable text of an HTML mail: scripts and styles dropped, blocks on their own lines."""

    BLOCKS: ClassVar[frozenset[str]] = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self._skip = max(self._skip - 1, 0)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    """Plain text of an HTML body, with runs of blank space collapsed."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = (re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in "".join(parser.parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
