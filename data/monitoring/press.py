"""Local press monitoring: read the configured RSS/Atom feeds, keep every article, raise an alert for
each article that mentions a watch word (accents optional: "ngap" finds "ngập").

One job, ``press.read_feeds`` (every ``IOC_PRESS_EVERY_S``). An article is stored once per feed (its
``guid``, else its link), so reading a feed again adds only what is new; a feed that is down or not a
feed is logged and skipped, and the others are still read.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from time import struct_time
from typing import TYPE_CHECKING, Any

import feedparser
from sqlalchemy import select

from data.alerts.events import published, raise_alert
from data.core.feeds import FeedError, fetch
from data.core.jobs import register
from data.core.text import fold, html_text
from data.models import Alert, PressArticle, utcnow

if TYPE_CHECKING:
    from data.core.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedEntry:
    guid: str
    url: str | None
    title: str
    summary: str
    published_at: datetime | None


@dataclass
class FeedResult:
    url: str
    title: str | None = None
    new: int = 0
    alerts: int = 0
    error: str | None = None


_WORD = re.compile(r"\w+")


def _words(text: str) -> str:
    """Folded words between single spaces, with a space at each end: whole-word search by ``in``."""
    return " " + " ".join(_WORD.findall(fold(text))) + " "


def matched_words(text: str, words: list[str]) -> list[str]:
    """The watch words ``text`` holds as whole words, accents and case ignored (pure)."""
    haystack = _words(text)
    return [w for w in words if (needle := _words(w)).strip() and needle in haystack]


def _time(value: struct_time | None) -> datetime | None:
    if value is None:
        return None
    return datetime(*value[:6], tzinfo=UTC).replace(tzinfo=None)  # feedparser gives UTC; we store naive UTC


def parse_feed(content: bytes) -> tuple[str | None, list[FeedEntry]]:
    """The feed's title and entries; FeedError when the bytes are not RSS/Atom."""
    parsed: Any = feedparser.parse(content)
    if not parsed.get("version"):  # feedparser names the format it recognised; "" = none (an HTML page)
        reason = parsed.get("bozo_exception") or "không nhận ra định dạng"
        raise FeedError(f"không phải RSS/Atom ({reason})")
    entries = []
    for entry in parsed.entries:
        link = entry.get("link")
        guid = entry.get("id") or link
        title = html_text(entry.get("title", "")).strip()
        if not guid or not title:
            continue  # nothing to tell articles apart by, or nothing to show
        summary = html_text(entry.get("summary", "")).strip()
        published = _time(entry.get("published_parsed") or entry.get("updated_parsed"))
        entries.append(FeedEntry(str(guid)[:500], link, title[:500], summary, published))
    return parsed.feed.get("title"), entries


def read_feed(runtime: Runtime, url: str) -> FeedResult:
    """Store the feed's new articles and raise an alert for each one that mentions a watch word."""
    result = FeedResult(url)
    raised: list[Alert] = []
    try:
        result.title, entries = parse_feed(fetch(url))
    except FeedError as exc:
        result.error = str(exc)
        log.warning("press feed %s: %s", url, exc)
        return result
    words = runtime.settings.press_watch_words
    with runtime.session() as session:
        known = set(session.scalars(select(PressArticle.guid).where(
            PressArticle.feed_url == url, PressArticle.guid.in_([e.guid for e in entries]))))
        for entry in entries:
            if entry.guid in known:
                continue
            known.add(entry.guid)  # a feed listing an article twice stores it once
            words_found = matched_words(f"{entry.title} {entry.summary}", words)
            article = PressArticle(feed_url=url, guid=entry.guid, url=entry.url, title=entry.title,
                                   summary=entry.summary or None, source=result.title, published_at=entry.published_at,
                                   fetched_at=utcnow(), matched=words_found or None)
            if words_found:
                alert = raise_alert(session, kind="press", severity="info", source=result.title or url,
                                    source_ref=entry.guid, title=f"Báo chí: {entry.title}",
                                    message=f"Từ khoá: {', '.join(words_found)}. {entry.url or ''}".strip())
                article.alert_id = alert.id
                raised.append(alert)
                result.alerts += 1
            session.add(article)
            result.new += 1
    for alert in raised:
        published(runtime, alert, "raised")
    return result


@register("press.read_feeds", every_s=600, every_setting="press_every_s")
def read_feeds(runtime: Runtime) -> list[FeedResult]:
    """Every configured feed, each on its own: one that fails does not stop the others."""
    return [read_feed(runtime, url) for url in runtime.settings.press_feeds]
