"""Revisions (pure): which rows to add and which current values they supersede; an equal value changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.kpis.imports.template.layout import KEY


@dataclass(frozen=True)
class Plan:
    insert: pd.DataFrame  # rows to add: new keys and revised values
    supersede: list[int]  # ids of the current values the revised ones replace
    revised: int
    unchanged: int

    @property
    def new(self) -> int:
        return len(self.insert) - self.revised


def _keys(frame: pd.DataFrame) -> pd.Series:
    """``indicator|period|unit|agency|place`` per row, blanks as empty strings (ids never as ``5.0``)."""
    key = pd.Series("", index=frame.index, dtype=object)
    for name in KEY:
        column = frame[name].astype("Int64") if name.endswith("_id") else frame[name]
        key = key + "|" + column.astype(object).where(column.notna(), "").astype(str)
    return key


def plan_changes(incoming: pd.DataFrame, current: pd.DataFrame) -> Plan:
    """Compare validated rows with the current values (``id``, KEY, ``value``): equal values change nothing."""
    if incoming.empty:
        return Plan(incoming, [], 0, 0)
    incoming_keys = _keys(incoming)
    old = pd.Series(np.nan, index=incoming.index)
    ids: list[int] = []
    if not current.empty:
        current_keys = _keys(current)
        # Two current values for one key (two imports racing) compare against the newer one.
        newest = current.assign(_key=current_keys).sort_values("id").drop_duplicates("_key", keep="last")
        old = incoming_keys.map(newest.set_index("_key")["value"]).astype(float)
    same = old.notna() & np.isclose(incoming["value"].astype(float), old.fillna(0.0), rtol=1e-9, atol=1e-12)
    revised = old.notna() & ~same
    if not current.empty:
        ids = [int(i) for i in current.loc[current_keys.isin(incoming_keys[revised]), "id"]]
    return Plan(incoming[~same], ids, int(revised.sum()), int(same.sum()))
