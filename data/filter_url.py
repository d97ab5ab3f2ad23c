"""The reports filter in its shared, shareable form: the URL query string of /reports and /map.

``FilterChoice`` is what the filter widgets hold, one to one with the query string: ``from_params``
reads a URL's arguments (unknown or malformed values dropped), ``params`` writes the canonical ones
back, and ``report_filter`` is the ``ReportFilter`` they mean (through ``ReportFilter.from_query``, so
both pages and the exports cannot disagree on what a URL selects).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any
from urllib.parse import urlencode

from data.queries import DEFAULT_PERIOD, PERIOD_DAYS, ReportFilter

# The URL's filter keys, in the order the address bar shows them (the reports page's JS writes them
# in the same order and form, so a link built here and one built there are the same string).
FILTER_KEYS = ("period", "from", "to", "category", "status", "channel", "agency", "area", "overdue", "q")
TEXT_MAX = 200


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _joined(values: tuple[Any, ...]) -> str:
    return ",".join(str(v) for v in values)


@dataclass(frozen=True)
class FilterChoice:
    """The filter widgets' values: a period preset or a custom date range, and the lists."""

    period: str = DEFAULT_PERIOD
    start: date | None = None
    end: date | None = None
    categories: tuple[int, ...] = ()
    statuses: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    agencies: tuple[int, ...] = ()
    areas: tuple[int, ...] = ()
    overdue: bool = False
    text: str = ""

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> FilterChoice:
        """The choice a URL's query arguments describe; anything unknown or malformed is left out."""
        clean = {k: str(v) for k, v in params.items() if k in FILTER_KEYS and v not in (None, "")}
        # The lists are validated by the one parser the queries use; "now" does not matter for them.
        parsed = ReportFilter.from_query(clean, datetime(2000, 1, 1), UTC)
        start, end = _day(clean.get("from")), _day(clean.get("to"))
        period = clean.get("period", DEFAULT_PERIOD)
        # A custom range wins over the preset, which then says nothing: keep the default there.
        return cls(
            period=period if period in PERIOD_DAYS and not (start or end) else DEFAULT_PERIOD,
            start=start, end=end,
            categories=parsed.category_ids, statuses=parsed.statuses, channels=parsed.channels,
            agencies=parsed.agency_ids, areas=parsed.admin_unit_ids, overdue=parsed.overdue_only,
            text=" ".join(clean.get("q", "").split())[:TEXT_MAX],
        )

    @classmethod
    def of_widgets(cls, period: str | None, start: str | None, end: str | None, categories: list[Any] | None,
                   statuses: list[Any] | None, channels: list[Any] | None, agencies: list[Any] | None,
                   areas: list[Any] | None, overdue: bool | None, text: str | None) -> FilterChoice:
        """The choice the filter bar's widgets hold (``dashboard/filter_bar.py``), checked like a URL."""
        return cls.from_params({
            "period": period, "from": start, "to": end, "category": _joined(tuple(categories or ())),
            "status": _joined(tuple(statuses or ())), "channel": _joined(tuple(channels or ())),
            "agency": _joined(tuple(agencies or ())), "area": _joined(tuple(areas or ())),
            "overdue": "1" if overdue else None, "q": text,
        })

    def params(self) -> dict[str, str]:
        """The canonical query arguments: a custom range wins over the preset, defaults are left out."""
        out: dict[str, str] = {}
        if self.start or self.end:
            if self.start:
                out["from"] = self.start.isoformat()
            if self.end:
                out["to"] = self.end.isoformat()
        elif self.period != DEFAULT_PERIOD:
            out["period"] = self.period
        lists = {"category": self.categories, "status": self.statuses, "channel": self.channels,
                 "agency": self.agencies, "area": self.areas}
        out.update({key: _joined(values) for key, values in lists.items() if values})
        if self.overdue:
            out["overdue"] = "1"
        if self.text:
            out["q"] = self.text
        return out

    def search(self) -> str:
        """``?…`` for a link (or "" for no filter), encoded as the browser's URLSearchParams does."""
        params = self.params()
        return f"?{urlencode(params)}" if params else ""

    def report_filter(self, now: datetime, tz: tzinfo) -> ReportFilter:
        """The ReportFilter this choice selects (the viewer's narrowing, ``seen_by``, comes after)."""
        return ReportFilter.from_query(self.params(), now, tz)
