"""What the browser is told to enforce: Secure cookies over HTTPS, no framing, and a Content-Security-Policy.

The policy allows scripts from this site only, plus Dash's own inline scripts by their SHA-256 (Dash
renders its start-up script and the inline clientside callbacks into the page; ``Dash.csp_hashes``
lists them), so an injected ``<script>`` or an ``onclick=`` attribute does not run. The map's
measuring tool needs ``eval`` (see ``content_policy``). Styles may be
inline (Plotly, Leaflet and React set them), images may come from the configured tile servers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlparse

from flask import Flask, Response, current_app, has_request_context, request
from flask.sessions import SecureCookieSessionInterface

from data.core.settings import Settings


def cookies_secure() -> bool:
    """Whether this response's cookies are marked Secure (IOC_SESSION_COOKIE_SECURE)."""
    settings: Settings = current_app.extensions["ioc"].settings
    if settings.session_cookie_secure != "auto":
        return settings.session_cookie_secure == "always"
    over_https = has_request_context() and request.is_secure  # directly, or per a trusted proxy's X-Forwarded-Proto
    return settings.public_base_url.startswith("https://") or over_https


class IocSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, Secure when served over HTTPS (decided per response, not at start-up)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return cookies_secure()


def _origin(url: str) -> str | None:
    """The origin a tile URL template loads from (``{s}`` subdomains as a wildcard); None for this site."""
    parsed = urlparse(url.replace("{s}.", "*."))
    if not parsed.scheme or not parsed.netloc:
        return None
    return f"{parsed.scheme}://{parsed.netloc}"


def content_policy(settings: Settings, script_hashes: Sequence[str]) -> str:
    """The Content-Security-Policy of every page."""
    tiles = sorted({o for o in map(_origin, (settings.map_tile_url, settings.map_dark_tile_url)) if o})
    directives = {
        "default-src": ["'self'"],
        # 'unsafe-eval': dash-leaflet's MeasureControl (leaflet-measure) compiles lodash templates with
        # Function(); inline scripts stay refused, so injected markup still cannot run anything.
        "script-src": ["'self'", "'unsafe-eval'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *tiles],
        "media-src": ["'self'", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def init_security_headers(server: Flask, script_hashes: Callable[[], Sequence[str]]) -> None:
    """Every response refuses to be framed; every HTML page also gets the Content-Security-Policy.

    ``script_hashes`` is asked per page: Dash knows its inline scripts only once every page is loaded.
    """
    settings: Settings = server.extensions["ioc"].settings

    @server.after_request
    def _headers(response: Response) -> Any:
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", content_policy(settings, script_hashes()))
        return response
