"""Whole-column helpers for validating tables of strings (pure): each computes once per distinct value,
since exports repeat their categories, statuses and dates over thousands of rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from data.core.text import fold


def per_unique(values: pd.Series, compute: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``compute`` run once per distinct value: exports repeat their categories, statuses and dates."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    computed = compute(pd.Series(uniques, dtype=object)).to_numpy()
    return pd.Series(computed[codes], index=values.index)


def fold_series(values: pd.Series) -> pd.Series:
    """``data.core.text.fold`` on a column, once per distinct text (titles and descriptions repeat a lot)."""
    return per_unique(values, lambda uniques: uniques.map(fold))


def lengths(values: pd.Series) -> pd.Series:
    return per_unique(values, lambda u: u.str.len()).astype(int)


def map_values(values: pd.Series, table: Mapping[str, Any]) -> pd.Series:
    """Source values → ours (case-insensitive; keys ending in ``*`` match by prefix); NaN when unmapped."""
    exact = {k.strip().casefold(): v for k, v in table.items() if not k.endswith("*")}
    prefixes = [(k[:-1].strip().casefold(), v) for k, v in table.items() if k.endswith("*")]

    def lookup(uniques: pd.Series) -> pd.Series:
        normal = uniques.str.strip().str.casefold()
        out = normal.map(exact)
        for prefix, value in prefixes:
            out = out.mask(out.isna() & normal.str.startswith(prefix), value)
        return out

    return per_unique(values, lookup)


def column_or_blank(frame: pd.DataFrame, name: str | None) -> pd.Series:
    if name is None or name not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object).astype(str)
    return frame[name]
