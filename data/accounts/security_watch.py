"""Information-security monitoring: the app's own audit log, watched for patterns an operator must see.

A single refused page or rate-limited post is noise; many from one account or one address in a few
minutes is someone probing. Every minute ``security.watch`` counts the recent audit entries of each
watched kind per account and per address and raises one ``security`` alert (with its procedure) for each
that crosses its threshold, never a second while the first is open. Failed logins have their own, faster
path (``data.accounts.login_guard.failed`` raises at the fifth). The counting is a pure function.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from data.alerts.events import OPEN_STATUSES, published, raise_alert
from data.core.jobs import register
from data.models import Alert, AuditEntry, utcnow

if TYPE_CHECKING:
    from data.core.runtime import Runtime


@dataclass(frozen=True)
class Rule:
    action: str  # the audit entries' action
    threshold: int  # this many within ``window`` from one account or one address
    window: timedelta
    title: str  # {n}: how many, {who}: the account or address


RULES = (
    Rule("denied", 10, timedelta(minutes=10), "Truy cập bị từ chối {n} lần trong 10 phút: {who}"),
    Rule("rate_limited", 20, timedelta(minutes=10), "Vượt giới hạn gửi phản ánh {n} lần trong 10 phút: {who}"),
)


@dataclass(frozen=True)
class Finding:
    rule: Rule
    who: str  # "tài khoản «x»" or "địa chỉ 1.2.3.4"
    count: int

    @property
    def ref(self) -> str:
        """What identifies the finding among open alerts (``source_ref``)."""
        return f"{self.rule.action}:{self.who}"[:100]


@dataclass(frozen=True)
class Entry:
    action: str
    username: str | None
    source_ip: str | None
    at: datetime


def findings(entries: Iterable[Entry], now: datetime, rules: Sequence[Rule] = RULES) -> list[Finding]:
    """Each account and each address that crossed a rule's threshold within its window."""
    by_action = {rule.action: rule for rule in rules}
    counts: Counter[tuple[str, str]] = Counter()
    for entry in entries:
        rule = by_action.get(entry.action)
        if rule is None or entry.at < now - rule.window or entry.at > now:
            continue
        if entry.username:
            counts[(rule.action, f"tài khoản «{entry.username}»")] += 1
        if entry.source_ip:
            counts[(rule.action, f"địa chỉ {entry.source_ip}")] += 1
    return [Finding(by_action[action], who, n) for (action, who), n in sorted(counts.items())
            if n >= by_action[action].threshold]


@register("security.watch", every_s=60)
def watch(runtime: Runtime, now: datetime | None = None) -> int:
    """Raise one alert per new finding; return how many were raised."""
    now = now or utcnow()
    since = now - max(rule.window for rule in RULES)
    with runtime.session() as session:
        rows = session.execute(select(AuditEntry.action, AuditEntry.username, AuditEntry.source_ip, AuditEntry.at)
                               .where(AuditEntry.at >= since,
                                      AuditEntry.action.in_([rule.action for rule in RULES])))
        found = findings((Entry(*row) for row in rows), now)
        if not found:
            return 0
        open_refs = set(session.scalars(select(Alert.source_ref).where(
            Alert.kind == "security", Alert.status.in_(OPEN_STATUSES),
            Alert.source_ref.in_([f.ref for f in found]))))
        raised = [raise_alert(session, kind="security", severity="warning", source="audit", source_ref=f.ref,
                              title=f.rule.title.format(n=f.count, who=f.who), now=now,
                              message="Xem nhật ký truy cập (/audit) để biết chi tiết.")
                  for f in found if f.ref not in open_refs]
    for alert in raised:
        published(runtime, alert, "raised")
    return len(raised)
