"""Information-security monitoring (data/accounts/security_watch.py): patterns in the audit log become alerts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from data.accounts import audit
from data.accounts.security_watch import RULES, Entry, findings, watch
from data.alerts.events import history
from data.core.bus import drain
from data.models import Alert
from tests.dbfixtures import open_runtime

NOW = datetime(2026, 12, 7, 9, 0)


def _entries(action: str, n: int, *, user: str | None = None, ip: str | None = None,
             minutes_ago: float = 1) -> list[Entry]:
    return [Entry(action, user, ip, NOW - timedelta(minutes=minutes_ago, seconds=i)) for i in range(n)]


def test_findings_count_per_account_and_per_address_within_the_window() -> None:
    entries = (
        _entries("denied", 10, user="donvi", ip="10.0.0.7")  # 10 from one account and one address
        + _entries("denied", 9, user="khach", ip="10.0.0.9")  # one short
        + _entries("denied", 5, user="khach", ip="10.0.0.9", minutes_ago=11)  # outside the window
        + _entries("rate_limited", 20, ip="203.0.113.5")
        + _entries("login", 50, user="quantri")  # not watched here
    )
    found = {(f.rule.action, f.who): f.count for f in findings(entries, NOW)}
    assert found == {("denied", "tài khoản «donvi»"): 10, ("denied", "địa chỉ 10.0.0.7"): 10,
                     ("rate_limited", "địa chỉ 203.0.113.5"): 20}
    assert findings(_entries("denied", 10, user="donvi", minutes_ago=-1), NOW) == []  # future: ignored
    assert {r.action for r in RULES} == {"denied", "rate_limited"}


def test_the_watch_raises_one_alert_per_finding_while_it_is_open(db_url: str) -> None:
    with open_runtime(db_url) as runtime:
        with runtime.session() as s:
            for i in range(12):
                audit.record(s, "denied", username="donvi", target="page:/audit", source_ip="10.0.0.7",
                             at=NOW - timedelta(seconds=30 + i))
        feed = runtime.bus.subscribe("alerts")
        assert watch(runtime, now=NOW) == 2  # the account and the address
        assert watch(runtime, now=NOW + timedelta(minutes=1)) == 0  # still open: not again
        with runtime.session() as s:
            raised = list(s.scalars(select(Alert).where(Alert.kind == "security").order_by(Alert.id)))
            assert [a.title for a in raised] == ["Truy cập bị từ chối 12 lần trong 10 phút: tài khoản «donvi»",
                                                 "Truy cập bị từ chối 12 lần trong 10 phút: địa chỉ 10.0.0.7"]
            assert [e.action for e in history(s, raised[0].id)] == ["raised"]
        assert [m["kind"] for m in drain(feed, 1.0)] == ["security", "security"]
        assert watch(runtime, now=NOW + timedelta(minutes=30)) == 0  # the window has passed
