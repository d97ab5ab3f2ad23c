"""KPI feeds (data/kpis/imports/feeds.py) pulled from real HTTP endpoints on loopback: JSON and CSV answers
take the import's checks and revisions; an endpoint that is down or answers nonsense writes nothing."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.core.jobs import run_job
from data.kpis.imports.feeds import pull_feeds
from data.models import ImportRun, Indicator, IndicatorValue
from tests.dbfixtures import open_runtime
from tests.http_pages import Pages

JSON_ROWS = [
    {"indicator_code": "dossiers_online_pct", "period": "2025-09", "geography": "", "value": 71.5, "unit": "%"},
    {"indicator_code": "pci_score", "period": 2016, "geography": "Đà Nẵng", "value": 70.0, "unit": "điểm"},
    {"indicator_code": "pci_score", "period": 2016, "geography": "Atlantis", "value": 1, "unit": "điểm"},
]
CSV_BODY = (b"indicator_code;period;geography;value\n"  # a semicolon-separated export, sniffed as for uploads
            b"grdp_per_capita;2024;;84,1\n"
            b"grdp_per_capita;2024-10;;84\n")


@pytest.fixture
def endpoints() -> Iterator[Pages]:
    served = Pages()
    yield served
    served.close()


def _closed_port() -> int:
    """A loopback port nothing listens on: a server that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _count(session: Session, model: type[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_json_and_csv_feeds_are_imported_and_a_repeat_pull_changes_nothing(db_url: str, endpoints: Pages) -> None:
    endpoints.pages["/kpi.json"] = ("application/json", json.dumps({"values": JSON_ROWS}).encode())
    endpoints.pages["/kpi.csv"] = ("text/csv", CSV_BODY)
    feeds = [f"{endpoints.url}/kpi.json", f"{endpoints.url}/kpi.csv"]
    with open_runtime(db_url, indicator_feeds=feeds) as runtime:
        as_json, as_csv = run_job(runtime, "indicators.pull_feeds")  # type: ignore[misc]
        assert (as_json.error, as_json.rows, as_json.new, as_json.skipped) == (None, 3, 2, 1)  # Atlantis is no place
        assert (as_csv.error, as_csv.rows, as_csv.new, as_csv.skipped) == (None, 2, 1, 1)  # a month for a yearly KPI
        with runtime.session() as session:
            values = dict(session.execute(
                select(Indicator.code, IndicatorValue.value)
                .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
                .where(IndicatorValue.place.is_(None))).all())
            assert values == {"dossiers_online_pct": 71.5, "grdp_per_capita": 84.1}
            problems = session.scalar(select(ImportRun.problems).where(ImportRun.id == as_json.run_id))
            assert [(p["row"], p["reason"]) for p in problems] == [(4, "place_unknown")]
            stored = _count(session, IndicatorValue)

        again = pull_feeds(runtime)
        assert [(p.new, p.revised, p.unchanged) for p in again] == [(0, 0, 2), (0, 0, 1)]
        endpoints.pages["/kpi.csv"] = ("text/csv", CSV_BODY.replace(b"84,1", b"85,0"))
        revised = pull_feeds(runtime)[1]
        assert (revised.new, revised.revised) == (0, 1)
        with runtime.session() as session:
            assert _count(session, IndicatorValue) == stored + 1  # the old figure is kept, superseded


def test_a_feed_that_is_down_or_not_a_table_writes_nothing_and_others_still_run(db_url: str,
                                                                                endpoints: Pages) -> None:
    endpoints.pages["/page.json"] = ("application/json", b'{"message": "no rows here"}')
    endpoints.pages["/ok.csv"] = ("text/csv", CSV_BODY)
    down = f"http://127.0.0.1:{_closed_port()}/kpi.csv"
    feeds = [down, f"{endpoints.url}/missing.csv", f"{endpoints.url}/page.json", f"{endpoints.url}/ok.csv"]
    with open_runtime(db_url, indicator_feeds=feeds) as runtime:
        results = pull_feeds(runtime)
        assert results[0].error is not None and results[0].error.startswith("không tải được")
        assert results[1].error is not None and "404" in results[1].error
        assert results[2].error == 'JSON phải là một danh sách dòng, hoặc {"values": [...]}'
        assert results[3].error is None and results[3].new == 1
        with runtime.session() as session:
            assert _count(session, ImportRun) == 1  # only the feed that answered a table
            assert _count(session, IndicatorValue) == 1
