"""The reports filter in its shared, shareable form: the URL query string of /reports and /map.

``FilterChoice`` is what the filter widgets hold, one to one with the query string: ``from_params``
reads a URL's arguments (unknown or malformed values dropped), ``params`` writes the canonical ones
back, and ``report_filter`` is the ``ReportFilter`` they mean (through ``ReportFilter.from_query``, so
both pages and the exports cannot disagree on what a URL selects).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from urllib.parse import urlencode

from data.core.text import ascii_digits, fold
from data.models import (
    Channel,
    ReportStatus,
    Role,
)
from data.reports.workflow import SEES_ALL


@dataclass(frozen=True)
class ReportFilter:
    """The filters the reports page, its export and the map share (the URL query string is their shared form)."""

    since: datetime | None = None
    until: datetime | None = None
    category_ids: tuple[int, ...] = ()
    statuses: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    agency_id: int | None = None  # agency staff are always limited to their own agency (see ``seen_by``)
    overdue_only: bool = False
    agency_ids: tuple[int, ...] = ()  # the agencies a viewer picked (within what they may see)
    admin_unit_ids: tuple[int, ...] = ()  # wards, or districts (meaning each of their wards)
    text: str = ""  # folded (data.core.text.fold) words searched in Report.search_text

    @classmethod
    def from_query(cls, params: Mapping[str, str], now: datetime, tz: tzinfo) -> ReportFilter:
        """The filter a page URL's query string describes (unknown or malformed values are ignored)."""
        since: datetime | None
        until: datetime | None = None
        start, end = _local_date(params.get("from")), _local_date(params.get("to"))
        if start is not None or end is not None:
            since = local_midnight(start, tz) if start else None
            until = local_midnight(end + timedelta(days=1), tz) if end else None
        else:
            period = params.get("period") or DEFAULT_PERIOD
            days = PERIOD_DAYS.get(period, PERIOD_DAYS[DEFAULT_PERIOD])
            since = now - timedelta(days=days) if days else None
        return cls(
            since=since, until=until, category_ids=_ints(params.get("category")),
            statuses=_words(params.get("status"), {s.value for s in ReportStatus}),
            channels=_words(params.get("channel"), {c.value for c in Channel}),
            overdue_only=params.get("overdue") == "1", agency_ids=_ints(params.get("agency")),
            admin_unit_ids=_ints(params.get("area")), text=fold(params.get("q"))[:200],
        )

    def seen_by(self, role: str | None, agency_id: int | None) -> ReportFilter:
        """This filter narrowed to what a viewer may see: agency staff only their own agency's reports."""
        if role in SEES_ALL:
            return self
        # An agency account without an agency (or an unknown role) sees nothing rather than everything.
        own = agency_id if role == Role.AGENCY and agency_id is not None else -1
        return replace(self, agency_id=own)


# The period presets of the reports page; 0 = no lower bound.
PERIOD_DAYS = {"7": 7, "30": 30, "90": 90, "365": 365, "all": 0}


DEFAULT_PERIOD = "30"


def _ints(value: str | None) -> tuple[int, ...]:
    parts = (p.strip() for p in (value or "").split(","))
    return tuple(dict.fromkeys(int(p) for p in parts if ascii_digits(p) and len(p) < 10))


def _words(value: str | None, allowed: set[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p for p in (value or "").split(",") if p in allowed))


def _local_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """Midnight starting ``day`` in ``tz``, as naive UTC."""
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC).replace(tzinfo=None)



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


def filter_key(filters: ReportFilter) -> dict[str, Any]:
    """A filter as a cache key: times to the minute, or "the last 365 days" would never hit twice."""

    def minute(at: datetime | None) -> str | None:
        return at.replace(second=0, microsecond=0).isoformat() if at else None

    fields = dataclasses.asdict(filters)
    fields.update(since=minute(filters.since), until=minute(filters.until))
    return fields
