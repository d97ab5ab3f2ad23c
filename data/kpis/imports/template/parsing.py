"""Parsing cells (pure), and what validation knows of the city: plain data, so ``validate`` stays pure."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd

from data.core.columns import per_unique
from data.core.provinces import known_places, place_key
from data.kpis.status import period_of


@dataclass(frozen=True)
class IndicatorSpec:
    """An indicator as the import sees it; ``id`` is None while it is only in the catalogue."""

    code: str
    name: str
    name_en: str
    unit: str
    frequency: str
    geography: str = "city"
    id: int | None = None


@dataclass(frozen=True)
class Where:
    """What a geography cell means: one of our units, one of our agencies, a place outside, or the city."""

    admin_unit_id: int | None = None
    agency_id: int | None = None
    place: str | None = None


CITY = Where()


@dataclass(frozen=True)
class IndicatorContext:
    indicators: Mapping[str, IndicatorSpec]  # by code, lower case
    places: Mapping[str, Where]  # "code:<code>" and "name:<place key>" → where
    today: date  # the city's local date: later periods are in the future


def _unambiguous(pairs: Iterable[tuple[str, Where]]) -> dict[str, Where]:
    """Keys that name one thing only: two wards of the same name are found by their codes instead."""
    found: dict[str, set[Where]] = {}
    for key, where in pairs:
        found.setdefault(key, set()).add(where)
    return {key: next(iter(wheres)) for key, wheres in found.items() if len(wheres) == 1}


def places_index(units: Iterable[tuple[int, str, str]], agencies: Iterable[tuple[int, str, str]],
                 city_names: Iterable[str]) -> dict[str, Where]:
    """Every way a geography cell may name a place, strongest last: provinces < agencies < units < the city."""
    index = {f"name:{key}": Where(place=name) for key, name in known_places().items()}
    for rows, make in ((agencies, lambda i: Where(agency_id=i)), (units, lambda i: Where(admin_unit_id=i))):
        pairs = [(key, make(id_)) for id_, code, name in rows
                 for key in (f"code:{code.strip().casefold()}", f"name:{place_key(name)}")]
        index.update(_unambiguous(pairs))
    index.update({f"name:{place_key(name)}": CITY for name in city_names})
    return index


_PERIOD = re.compile(r"^(\d{4})(?:-?Q([1-4])|-(\d{1,2})(?:-(\d{1,2}))?)?$")
_EXCEL_MIDNIGHT = re.compile(r"[ T]00:00(:00)?$")  # a date cell of Excel read as text
# A comma is the Vietnamese decimal mark; thousands separators are refused rather than guessed at.
_NUMBER = r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?"


def parse_period(cell: str) -> tuple[str, str, date] | None:
    """``"2024-Q3"`` → ``("quarter", "2024-Q3", date(2024, 7, 1))``; None when it is no period."""
    match = _PERIOD.match(_EXCEL_MIDNIGHT.sub("", cell.strip().upper()))
    if match is None:
        return None
    year, quarter, month, day = match.groups()
    try:
        if quarter:
            frequency, first = "quarter", date(int(year), 3 * int(quarter) - 2, 1)
        elif day:
            frequency, first = "day", date(int(year), int(month), int(day))
        elif month:
            frequency, first = "month", date(int(year), int(month), 1)
        else:
            frequency, first = "year", date(int(year), 1, 1)
    except ValueError:  # 2024-13, 2024-02-30
        return None
    label, start = period_of(first, frequency)
    return frequency, label, start


def parse_numbers(cells: pd.Series) -> pd.Series:
    """Numbers from text cells (NaN where blank or not a number): ``"12,5"`` and ``" 1 234.5"`` too."""
    def parse(uniques: pd.Series) -> pd.Series:
        compact = uniques.str.replace(r"\s", "", regex=True)
        numeric = compact.where(compact.str.fullmatch(_NUMBER)).str.replace(",", ".", regex=False)
        return pd.to_numeric(numeric, errors="coerce")

    return per_unique(cells, parse).astype(float)


def tuple_part(parsed: pd.Series, index: int) -> pd.Series:
    """Item ``index`` of each parsed tuple; None where the cell did not parse."""
    return parsed.map(lambda p: None if p is None else p[index])
