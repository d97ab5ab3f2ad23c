"""Adapters: national statistics files turned into the KPI import template (data.kpis.imports.template).

Each adapter is one function from the file's table (every cell a string, as ``read_table`` gives it)
to template rows, registered under a short name; the rows then take the same path as a filled
template: the same checks, the same per-row report, the same revision-keeping writes. Each output row
carries the source row and column it came from, so the report points into the user's own file.

| name | file (../shared/data/stats/) | indicators |
|---|---|---|
| gso | vn_province_gso_indicators_long.csv | GRDP per capita, population, area, density, health facilities |
| pci | vn_province_pci_2005-2016.csv | pci_score (weighted PCI) |
| papi | vn_province_papi_2011-2016.csv | papi_score, papi_procedures, papi_service |
| budget | vn_province_budget_final_2006-2014.csv | budget_revenue_year, budget_expenditure_year |
| census | hue_quangtri_population_ward_2019.csv | population_census, population_density per ward |
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.kpis.imports.template import PLACE_REQUIRED, SOURCE_COLUMN, SOURCE_ROW, TEMPLATE_COLUMNS, IndicatorImportError

Convert = Callable[[pd.DataFrame], pd.DataFrame]


@dataclass(frozen=True)
class Adapter:
    name: str
    label: str
    source: str  # stored with every value that has no source of its own
    columns: tuple[str, ...]  # the file must have these
    convert: Convert


ADAPTERS: dict[str, Adapter] = {}


def adapter(name: str, label: str, source: str, columns: tuple[str, ...]) -> Callable[[Convert], Convert]:
    """Register ``convert`` as the adapter ``name``."""
    def wrap(convert: Convert) -> Convert:
        ADAPTERS[name] = Adapter(name, label, source, columns, convert)
        return convert

    return wrap


def adapt(frame: pd.DataFrame, name: str | None) -> tuple[pd.DataFrame, str | None]:
    """The table as template rows, and the source to record (None: the template itself, as it is)."""
    if name is None:
        return frame, None
    found = ADAPTERS.get(name)
    if found is None:
        raise IndicatorImportError(f"Không có bộ chuyển đổi «{name}» (có: {', '.join(sorted(ADAPTERS))}).")
    missing = [c for c in found.columns if c not in frame.columns]
    if missing:
        raise IndicatorImportError(f"Tệp không phải dạng «{found.label}»: thiếu cột {', '.join(missing)}.")
    return found.convert(frame), found.source


def _year(cells: pd.Series) -> pd.Series:
    """``"2005.0"`` (a year written by a float column) → ``"2005"``."""
    return cells.str.strip().str.replace(r"^(\d{4})\.0*$", r"\1", regex=True)


def _scaled(cells: pd.Series, factor: float) -> pd.Series:
    """Numbers times ``factor``; cells that are not numbers stay as they are, for the checks to report."""
    numbers = pd.to_numeric(cells.where(cells.str.strip() != ""), errors="coerce")
    return cells.where(numbers.isna(), (numbers * factor).round(6).astype(str))


def long_rows(frame: pd.DataFrame, *, period: pd.Series, geography: pd.Series, values: Mapping[str, str],
              factor: float = 1.0, unit: pd.Series | str = "") -> pd.DataFrame:
    """Template rows from a wide table: for each source column in ``values``, one row per file row."""
    row = pd.Series(np.arange(len(frame)) + 2, index=frame.index)  # as the user numbers the file
    parts = [pd.DataFrame({"indicator_code": code, "period": period, "geography": geography,
                           "value": _scaled(frame[column], factor), "unit": unit, "source": "", "note": "",
                           SOURCE_ROW: row, SOURCE_COLUMN: column, PLACE_REQUIRED: True})
             for column, code in values.items()]
    return pd.concat(parts, ignore_index=True)[[*TEMPLATE_COLUMNS, SOURCE_ROW, SOURCE_COLUMN, PLACE_REQUIRED]]


# GSO's indicator → (ours, the unit GSO writes, our unit for it)
GSO_INDICATORS: dict[str, tuple[str, str, str]] = {
    "grdp_per_capita": ("grdp_per_capita", "million VND", "triệu đồng"),
    "population": ("population_avg", "thousand persons", "nghìn người"),
    "area": ("area_km2", "km2", "km²"),
    "density": ("population_density", "persons/km2", "người/km²"),
    "health_facilities: Total": ("health_facilities", "count", "cơ sở"),
    "health_facilities: Hospital": ("hospitals", "count", "cơ sở"),
    "health_facilities: Local clinic": ("regional_clinics", "count", "cơ sở"),
    "health_facilities: Rehabilitation and nursing hospital": ("rehabilitation_hospitals", "count", "cơ sở"),
    "health_facilities: Health station at commune, ward, office, enterprise": ("health_stations", "count", "cơ sở"),
}


@adapter("gso", "Niên giám Tổng cục Thống kê (dạng dài: tỉnh, năm, chỉ tiêu, giá trị, đơn vị)",
         "Tổng cục Thống kê – niên giám (qua DSTai/web-based-interactive-visualization)",
         ("province", "year", "indicator", "value", "unit"))
def gso(frame: pd.DataFrame) -> pd.DataFrame:
    """Already one value per row: rename the indicators, and translate the units that are the ones we expect."""
    known = frame["indicator"].map({k: v[0] for k, v in GSO_INDICATORS.items()})
    expected = frame["indicator"].map({k: v[1] for k, v in GSO_INDICATORS.items()})
    ours = frame["indicator"].map({k: v[2] for k, v in GSO_INDICATORS.items()})
    # GSO's unit words must start as we expect; anything else stays, for the unit check to refuse it.
    unit_ok = pd.Series([isinstance(e, str) and u.startswith(e) for u, e in zip(frame["unit"], expected, strict=True)],
                        index=frame.index)
    rows = long_rows(frame, period=_year(frame["year"]), geography=frame["province"], values={"value": "value"},
                     unit=frame["unit"].where(~unit_ok, ours))
    rows["indicator_code"] = known.fillna(frame["indicator"]).to_numpy()
    return rows


@adapter("pci", "PCI – Chỉ số năng lực cạnh tranh cấp tỉnh (VCCI)",
         "VCCI – PCI (qua mdtrinh/vietnamdata, CC0)", ("prov", "year", "pci_weighted"))
def pci(frame: pd.DataFrame) -> pd.DataFrame:
    """The weighted PCI of each province and year (the file writes years as ``2005.0``)."""
    return long_rows(frame, period=_year(frame["year"]), geography=frame["prov"], values={"pci_weighted": "pci_score"})


@adapter("papi", "PAPI – Chỉ số hiệu quả quản trị và hành chính công cấp tỉnh",
         "CECODES, UNDP – PAPI (qua mdtrinh/vietnamdata, CC0)",
         ("prov", "year", "papi_unweighted", "papi_procedures", "papi_service"))
def papi(frame: pd.DataFrame) -> pd.DataFrame:
    """PAPI's total (the unweighted sum of its six dimensions) and the two dimensions on public services."""
    return long_rows(frame, period=_year(frame["year"]), geography=frame["prov"],
                     values={"papi_unweighted": "papi_score", "papi_procedures": "papi_procedures",
                             "papi_service": "papi_service"})


@adapter("budget", "Quyết toán ngân sách tỉnh (Bộ Tài chính; triệu đồng)",
         "Bộ Tài chính – quyết toán ngân sách (qua mdtrinh/vietnamdata, CC0)",
         ("prov", "year", "total.rev", "total.exp"))
def budget(frame: pd.DataFrame) -> pd.DataFrame:
    """Total revenue and expenditure, from million đồng (the file's unit) to tỷ đồng (the catalogue's)."""
    return long_rows(frame, period=_year(frame["year"]), geography=frame["prov"],
                     values={"total.rev": "budget_revenue_year", "total.exp": "budget_expenditure_year"}, factor=0.001)


@adapter("census", "Tổng điều tra dân số 2019 theo phường/xã (mã GADM GID_3)",
         "Tổng điều tra dân số và nhà ở 2019 (GSO, qua hgscarlette/vn-demographic)",
         ("ward_id", "total", "pop_density"))
def census(frame: pd.DataFrame) -> pd.DataFrame:
    """Each ward's population and density on census day (1 April 2019), keyed by the GADM code of our wards."""
    return long_rows(frame, period=pd.Series("2019", index=frame.index), geography=frame["ward_id"],
                     values={"total": "population_census", "pop_density": "population_density"})
