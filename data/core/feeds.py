"""Fetching a feed over HTTP (press RSS, sensor and vessel feeds, KPI feeds): bounded in time and size."""

from __future__ import annotations

from typing import TYPE_CHECKING

import requests

if TYPE_CHECKING:
    pass


FETCH_TIMEOUT_S = 15


MAX_BYTES = 5 * 1024 * 1024  # a feed larger than this is not a news feed


USER_AGENT = "IOC-press-monitor/1.0 (+https://github.com/)"


class FeedError(Exception):
    """The feed could not be read or is not a feed; the message says which."""


def fetch(url: str) -> bytes:
    try:
        response = requests.get(url, timeout=FETCH_TIMEOUT_S, headers={"User-Agent": USER_AGENT}, stream=True)
        response.raise_for_status()
        content = response.raw.read(MAX_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        raise FeedError(f"không tải được ({exc})") from None
    if len(content) > MAX_BYTES:
        raise FeedError(f"lớn hơn {MAX_BYTES // 1024 // 1024} MB")
    return content
