"""Calls from the web app to the stream gateway's internal API (loopback, shared token).

The browser never talks to the gateway except for WebRTC media: the web app checks the user, then
asks the gateway, naming the user (``X-IOC-User``) so that the gateway checks their access too.
"""

from __future__ import annotations

from typing import Any

import requests

from data.core.errors import IocError

TOKEN_HEADER = "X-IOC-Token"
USER_HEADER = "X-IOC-User"
CONNECT_TIMEOUT_S = 3.0


class GatewayDown(IocError):
    status = 503
    title = "Máy chủ video không phản hồi"


class GatewayClient:
    """Calls to the gateway's internal API: the token goes with every request."""

    def __init__(self, base_url: str, token: str) -> None:
        self._base = base_url.rstrip("/")
        self._token = token

    def request(self, method: str, path: str, timeout: float, user_id: int | None = None,
                **kwargs: Any) -> requests.Response:
        headers = {TOKEN_HEADER: self._token}
        if user_id is not None:
            headers[USER_HEADER] = str(user_id)
        try:
            return requests.request(method, f"{self._base}{path}", headers=headers,
                                    timeout=(CONNECT_TIMEOUT_S, timeout), **kwargs)
        except requests.RequestException:
            raise GatewayDown("Máy chủ video không phản hồi, thử lại sau") from None


def gateway_error(response: requests.Response) -> IocError:
    """The gateway's own ``{"ok": false, "error": ...}`` (it never holds a URL), with its status."""
    try:
        message = str(response.json().get("error") or "")
    except ValueError:
        message = ""
    return IocError(message or "Máy chủ video báo lỗi", status=response.status_code)
