"""Stream URLs: which are accepted, and how they are shown without their password.

A camera's URL carries its password (``rtsp://admin:secret@10.0.0.5/stream1``). Pages show it
masked (``rtsp://admin:••••••@10.0.0.5/stream1``); a URL sent back with the mask where the password
was keeps the stored password, so an admin can change the address without ever seeing it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import SplitResult, urlsplit, urlunsplit

from data.core.errors import InvalidInput

MASK = "••••••"
SCHEMES = ("rtsp", "rtsps", "http", "https")
# The demo draws its cameras itself (streams/demo.py): such a URL is kept as it is, never typed in.
DEMO_SCHEME = "demo"
MAX_URL = 1000
MASK_WITHOUT_SECRET = ("Mật khẩu camera đang bị che (••••••) nhưng chưa có mật khẩu nào được lưu cho nó: "
                       "hãy nhập mật khẩu thật.")


def _netloc(parts: SplitResult, password: str | None) -> str:
    """``user:password@host:port`` rebuilt from ``parts`` with another password (None: no password part)."""
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address goes back between brackets
        host = f"[{host}]"
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    if parts.username is None:
        return host
    user = parts.username if password is None else f"{parts.username}:{password}"
    return f"{user}@{host}"


SECRET_PARAMS = re.compile(r"^(pass(word|wd)?|pwd|token|key|auth|secret|sig(nature)?)$", re.IGNORECASE)


def _query_with(query: str, value_of: Callable[[str, str], str]) -> str:
    """The query string with each secret parameter's value replaced by ``value_of(name, value)``, kept raw."""
    parts = []
    for item in query.split("&"):
        name, sep, value = item.partition("=")
        parts.append(f"{name}{sep}{value_of(name, value)}" if sep and SECRET_PARAMS.match(name) else item)
    return "&".join(parts)


def _secret_params(query: str) -> dict[str, str]:
    found = {}
    for item in query.split("&"):
        name, sep, value = item.partition("=")
        if sep and SECRET_PARAMS.match(name):
            found[name] = value
    return found


def masked(url: str | None) -> str:
    """The URL with its password (and any password-like query parameter) replaced by the mask."""
    if not url:
        return ""
    parts = urlsplit(url)
    try:
        netloc = parts.netloc if parts.password is None else _netloc(parts, MASK)
    except ValueError:  # an unreadable port: show no more than the scheme
        return f"{parts.scheme}://{MASK}"
    query = _query_with(parts.query, lambda _name, _value: MASK)
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def unmasked(sent: str, stored: str | None) -> str:
    """The URL to store for ``sent``: the mask where a secret was means "keep the stored one"."""
    parts = urlsplit(sent)
    old = urlsplit(stored) if stored else None
    try:
        password = parts.password
    except ValueError:
        return sent  # the URL check names the port
    netloc = parts.netloc
    if password == MASK:
        kept = old.password if old is not None else None
        if kept is None:
            raise InvalidInput(MASK_WITHOUT_SECRET)
        netloc = _netloc(parts, kept)
    old_params = _secret_params(old.query) if old is not None else {}

    def keep(name: str, value: str) -> str:
        if value != MASK:
            return value
        if name not in old_params:
            raise InvalidInput(MASK_WITHOUT_SECRET)
        return old_params[name]

    return urlunsplit(parts._replace(netloc=netloc, query=_query_with(parts.query, keep)))


# Why a URL cannot be a camera's stream, for a person (Vietnamese), by reason.
URL_MESSAGES = {
    "url_missing": "Thiếu địa chỉ luồng.",
    "url_too_long": f"Địa chỉ dài quá {MAX_URL} ký tự.",
    "url_space": "Địa chỉ không được chứa khoảng trắng hay ký tự điều khiển.",
    "url_scheme": "Địa chỉ phải bắt đầu bằng rtsp://, rtsps://, http:// hoặc https:// "
                  "(ví dụ rtsp://10.0.0.5:554/stream1).",
    "url_port": "Cổng (port) trong địa chỉ không phải một số từ 1 đến 65535.",
    "url_host": "Địa chỉ thiếu tên máy hoặc IP của camera.",
}


def url_reason(url: str) -> str | None:
    """Why ``url`` cannot be a camera's stream (a key of ``URL_MESSAGES``), or None when it can."""
    if not url:
        return "url_missing"
    if len(url) > MAX_URL:
        return "url_too_long"
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return "url_space"
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == DEMO_SCHEME:
        return None
    if scheme not in SCHEMES or not url.lower().startswith(f"{scheme}://"):
        return "url_scheme"
    try:
        port = parts.port
    except ValueError:
        return "url_port"
    if port == 0:
        return "url_port"
    return None if parts.hostname else "url_host"


def checked_url(url: str, field: str) -> str:
    """``url`` stripped, or InvalidInput naming ``field`` and what is wrong."""
    url = url.strip()
    reason = url_reason(url)
    if reason is not None:
        raise InvalidInput(f"{field}: {URL_MESSAGES[reason]}")
    return url
