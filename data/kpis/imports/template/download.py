"""The template to download (CSV or Excel), one row per indicator with an example period."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, timedelta

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from data.kpis.imports.template.layout import FREQUENCY_NAMES, TEMPLATE_COLUMNS
from data.kpis.imports.template.parsing import IndicatorSpec
from data.kpis.status import period_of


def example_period(frequency: str, today: date) -> str:
    """The last complete period of this frequency: what a file filled today most likely reports."""
    previous = {"year": date(today.year - 1, 12, 31), "quarter": period_of(today, "quarter")[1] - timedelta(days=1),
                "month": today.replace(day=1) - timedelta(days=1), "day": today - timedelta(days=1)}
    return period_of(previous.get(frequency, today), frequency)[0]


def template_frame(specs: Iterable[IndicatorSpec], today: date) -> pd.DataFrame:
    """One row per indicator: its code, an example period, its unit; the value left to fill."""
    rows = [{"indicator_code": s.code, "period": example_period(s.frequency, today), "geography": "", "value": "",
             "unit": s.unit, "source": "", "note": s.name} for s in sorted(specs, key=lambda s: s.code)]
    return pd.DataFrame(rows, columns=list(TEMPLATE_COLUMNS))


def catalogue_frame(specs: Iterable[IndicatorSpec]) -> pd.DataFrame:
    """The indicators as the template's second sheet lists them."""
    return pd.DataFrame([{"indicator_code": s.code, "tên": s.name, "name": s.name_en, "unit": s.unit,
                          "tần suất": FREQUENCY_NAMES.get(s.frequency, s.frequency), "địa bàn": s.geography}
                         for s in sorted(specs, key=lambda s: s.code)])


def template_csv(specs: Iterable[IndicatorSpec], today: date) -> bytes:
    """The template as CSV (UTF-8 with BOM, so that Excel shows the Vietnamese right)."""
    return template_frame(specs, today).to_csv(index=False).encode("utf-8-sig")


def template_xlsx(specs: Iterable[IndicatorSpec], today: date) -> bytes:
    """The template as Excel: the rows to fill on the first sheet, the catalogue on the second."""
    specs = list(specs)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        _storable(template_frame(specs, today)).to_excel(writer, sheet_name="chi_so", index=False)
        _storable(catalogue_frame(specs)).to_excel(writer, sheet_name="danh_muc", index=False)
    return buffer.getvalue()


def _storable(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without the control characters an .xlsx cell cannot hold (openpyxl refuses the whole file)."""
    return frame.map(lambda v: ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v)
