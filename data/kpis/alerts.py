"""KPI threshold alerts: a current value that is red (amber too, if configured) raises one alert
per indicator, period and severity, however often the value is recomputed or re-imported.

Importers and jobs call ``raise_threshold_alerts(runtime, indicator_ids)`` after committing values.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.alerts.events import published, raise_alert
from data.kpis.board import board
from data.kpis.status import KpiCard, alert_severity
from data.models import Alert

if TYPE_CHECKING:
    from data.core.runtime import Runtime

KIND = "kpi"


def alert_ref(code: str, period: str) -> str:
    """The alert's ``source_ref``: indicator and period, so a recomputation finds what it already raised."""
    return f"{code}@{period}"[:100]


def _raise(session: Session, card: KpiCard, severity: str) -> Alert:
    target = f" (mục tiêu {card.target:g} {card.spec.unit})" if card.target is not None else ""
    return raise_alert(session, kind=KIND, severity=severity, source="kpi",
                       source_ref=alert_ref(card.spec.code, str(card.period)),
                       title=f"Chỉ số “{card.spec.name}” chưa đạt mục tiêu",
                       message=f"Kỳ {card.period}: {card.value:g} {card.spec.unit}{target}.")


def threshold_alerts(session: Session, indicator_ids: Iterable[int] | None, today: date, *, grace: int = 1,
                     on_amber: bool = False) -> list[Alert]:
    """Add (and flush) the alerts the indicators' current values call for; None checks every indicator."""
    ids = None if indicator_ids is None else list(indicator_ids)
    due = [(card, severity) for card in board(session, today, grace, ids)
           if card.period is not None and (severity := alert_severity(card.status, on_amber)) is not None]
    if not due:
        return []
    raised = {(ref, severity) for ref, severity in session.execute(
        select(Alert.source_ref, Alert.severity)
        .where(Alert.kind == KIND, Alert.source_ref.in_([alert_ref(card.spec.code, str(card.period))
                                                         for card, _ in due])))}
    return [_raise(session, card, severity) for card, severity in due
            if (alert_ref(card.spec.code, str(card.period)), severity) not in raised]


def raise_threshold_alerts(runtime: Runtime, indicator_ids: Iterable[int] | None = None,
                           today: date | None = None) -> int:
    """Raise the alerts due for these indicators (None: all) in one transaction, then announce them."""
    settings = runtime.settings
    with runtime.session() as session:
        alerts = threshold_alerts(session, indicator_ids, today or datetime.now(settings.tz).date(),
                                  grace=settings.kpi_grace_periods, on_amber=settings.kpi_alert_on_amber)
    for alert in alerts:  # after the commit, so whoever hears it finds the rows
        published(runtime, alert, "raised")
    return len(alerts)
