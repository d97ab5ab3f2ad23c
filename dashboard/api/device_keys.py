"""API keys of machines (sensor gateways, shore stations) on the ingest endpoints: one check for all.

A key travels in ``X-API-Key`` (or ``Authorization: Bearer``); each endpoint accepts only keys of its own
channel (``python -m data.apikeys create "Tên" --channel <channel>``), so a leaked Open311 key cannot post
sensor readings or vessel positions.
"""

from __future__ import annotations

from flask import request

from data.accounts.apikeys import check_api_key
from data.core.errors import Forbidden, IocError
from data.core.runtime import Runtime


class MissingKey(IocError):
    status = 401
    title = "Thiếu khoá API"


def presented_key() -> str | None:
    bearer = request.headers.get("Authorization", "")
    if bearer.lower().startswith("bearer "):
        return bearer[7:].strip() or None
    return request.headers.get("X-API-Key") or None


def check_device_key(runtime: Runtime, channel: str, what: str) -> str:
    """The name of the presented key's client; MissingKey (401) or Forbidden (403) saying what to do.

    ``what`` says in Vietnamese what the key would be posting ("vị trí tàu cá", "số đo cảm biến")."""
    key = presented_key()
    if key is None:
        raise MissingKey(f"Thiếu khoá API: gửi khoá trong tiêu đề X-API-Key (xin khoá kênh «{channel}» từ quản trị "
                         f"viên: python -m data.apikeys create \"Tên trạm\" --channel {channel}).")
    with runtime.session() as session:
        row = check_api_key(session, key)
        found = (row.channel, row.name) if row is not None else None
    if found is None:
        raise Forbidden("Khoá API sai hoặc đã bị thu hồi; liên hệ quản trị viên hệ thống.")
    if found[0] != channel:
        raise Forbidden(f"Khoá API này dành cho kênh «{found[0]}», không được gửi {what}.")
    return found[1]
