"""Local press monitoring (data/monitoring/press.py) against feeds served over HTTP on loopback: RSS and Atom
stored once, watch words matched without accents, alerts raised, broken feeds reported and skipped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from data.core.bus import drain
from data.models import Alert, PressArticle
from data.monitoring.press import matched_words, read_feeds
from tests.dbfixtures import open_runtime
from tests.http_pages import Pages

WORDS = ["ngập", "sạt lở", "mưa bão", "mất điện"]


def _rss(items: list[tuple[str, str, str]]) -> bytes:
    body = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><link>https://baothuathienhue.vn/{guid}</link>"
        f"<description><![CDATA[<p>{summary}</p>]]></description>"
        "<pubDate>Tue, 01 Dec 2026 07:30:00 +0700</pubDate></item>"
        for guid, title, summary in items
    )
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Báo Thừa Thiên Huế</title>'
            f"<link>https://baothuathienhue.vn</link><description>Tin tức</description>{body}</channel></rss>").encode()


ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Tin Hue khong dau</title><id>urn:tin-hue</id>
<updated>2026-12-01T08:00:00Z</updated>
<entry><id>urn:tin-hue:1</id><title>Mat dien dien rong o phuong An Cuu</title>
<link href="https://tinhue.example/1"/><updated>2026-12-01T08:00:00Z</updated>
<summary>Hang nghin ho dan bi anh huong.</summary></entry>
</feed>"""

RSS_ITEMS = [
    ("tin-1", "Mưa lớn, nhiều tuyến phố ở Huế ngập sâu", "Đường Lê Lợi, Hùng Vương <b>ngập</b> 40 cm."),
    ("tin-2", "Nguy cơ sạt lở ở huyện A Lưới", "Người dân được sơ tán."),
    ("tin-3", "Lễ hội Festival Huế khai mạc", "Báo chí trong nước đưa tin rộng rãi."),  # "Báo" is not "bão"
]


@pytest.fixture
def feeds() -> Iterator[Pages]:
    served = Pages()
    served.pages["/rss"] = ("application/rss+xml; charset=utf-8", _rss(RSS_ITEMS))
    served.pages["/atom"] = ("application/atom+xml", ATOM)
    served.pages["/not-a-feed"] = ("text/html", b"<html><body>Trang chu</body></html>")
    yield served
    served.close()


def test_watch_words_match_whole_words_without_accents() -> None:
    assert matched_words("Đường Lê Lợi NGẬP sâu sau mưa", WORDS) == ["ngập"]
    assert matched_words("Duong Le Loi ngap sau, nguy co sat lo", WORDS) == ["ngập", "sạt lở"]
    assert matched_words("Báo chí đưa tin mưa", WORDS) == []  # neither "bão" nor "mưa bão"
    assert matched_words("ngapx ngập-lụt", ["ngập"]) == ["ngập"]  # "ngập-lụt" holds the word; "ngapx" does not
    assert matched_words("chạy bộ", ["cháy"]) == ["cháy"]  # the price of ignoring accents: choose phrases


def test_feeds_are_stored_once_and_matching_articles_raise_alerts(db_url: str, feeds: Pages) -> None:
    urls = [f"{feeds.url}/rss", f"{feeds.url}/atom", f"{feeds.url}/missing", f"{feeds.url}/not-a-feed"]
    with open_runtime(db_url, press_feeds=urls, press_watch_words=WORDS) as runtime:
        alerts_feed = runtime.bus.subscribe("alerts")
        results = {r.url.rsplit("/", 1)[1]: r for r in read_feeds(runtime)}
        assert (results["rss"].new, results["rss"].alerts, results["rss"].title) == (3, 2, "Báo Thừa Thiên Huế")
        assert (results["atom"].new, results["atom"].alerts) == (1, 1)  # written without accents
        assert results["missing"].error and "404" in results["missing"].error
        assert results["not-a-feed"].error and "RSS/Atom" in results["not-a-feed"].error
        announced = list(drain(alerts_feed, timeout=2))  # one message per alert, after the commit
        assert [(m["kind"], m["action"], m["status"]) for m in announced] == [("press", "raised", "new")] * 3

        with runtime.session() as s:
            articles = {a.guid: a for a in s.scalars(select(PressArticle))}
            alerts = {a.id: a for a in s.scalars(select(Alert).where(Alert.kind == "press"))}
            flood = articles["tin-1"]
            assert flood.summary == "Đường Lê Lợi, Hùng Vương ngập 40 cm."  # HTML stripped
            assert flood.matched == ["ngập"] and flood.published_at is not None
            assert flood.published_at.hour == 0 and flood.published_at.minute == 30  # 07:30 +07 in UTC
            assert articles["tin-3"].matched is None and articles["tin-3"].alert_id is None
            assert alerts[flood.alert_id or 0].title == "Báo chí: Mưa lớn, nhiều tuyến phố ở Huế ngập sâu"
            assert "https://baothuathienhue.vn/tin-1" in (alerts[flood.alert_id or 0].message or "")
            assert articles["urn:tin-hue:1"].matched == ["mất điện"]
            assert len(alerts) == 3

        # Read again: nothing new. A new article: only it is stored.
        assert sum(r.new for r in read_feeds(runtime)) == 0
        feeds.pages["/rss"] = ("application/rss+xml", _rss([*RSS_ITEMS, ("tin-4", "Mưa bão làm đổ cây", "")]))
        again = read_feeds(runtime)
        assert [(r.new, r.alerts) for r in again[:2]] == [(1, 1), (0, 0)]
        with runtime.session() as s:
            assert s.scalar(select(func.count()).select_from(PressArticle)) == 5
            assert s.scalar(select(func.count()).select_from(Alert).where(Alert.kind == "press")) == 4
