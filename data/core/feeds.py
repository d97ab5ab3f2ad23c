"""TODO docstring."""

from __future__ import annotations
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from time import struct_time
from typing import TYPE_CHECKING, Any
import feedparser
import requests
from sqlalchemy import select
from data.alerts import published, raise_alert
from data.channels.email import html_text
from data.jobs import register
from data.models import Alert, PressArticle, utcnow
from data.text import fold
if TYPE_CHECKING:
    from data.runtime import Runtime


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
