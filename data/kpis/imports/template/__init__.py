"""Import KPI values from CSV/Excel in one long template, check every row, then write revisions.

The template holds one value per row (``template_csv``/``template_xlsx`` list the catalogue's codes)::

    indicator_code,period,geography,value,unit,source,note
    grdp_per_capita,2024,,84.1,triệu đồng,Cục Thống kê,
    dossiers_received,2024-10,so-xd,1250,hồ sơ,Bộ phận Một cửa,
    pci_score,2016,Đà Nẵng,70.0,điểm,VCCI,

``period`` is 2024, 2024-Q3, 2024-10 or 2024-10-31 and must match the indicator's frequency.
``geography`` is blank (the whole city), a ward/district code or name, an agency code or name, or
another province, the country or a region (kept in ``IndicatorValue.place``, for comparisons); the
city's own province under one of ``IOC_INDICATOR_CITY_NAMES`` is the city. ``unit`` may be blank;
otherwise it must be the catalogue's. ``note`` is for the people filling the file and is not stored.

1. ``read_table`` (data.core.tabular) reads the file as strings; for a foreign layout an adapter
   (data.kpis.imports.adapters) first turns it into the template;
2. ``validate`` (pure, vectorised) answers the rows to keep and one problem per row, numbered as the
   user sees the source file;
3. ``import_frame`` records an ``ImportRun`` and, unless it is a dry run, writes in chunks: a value
   that differs from the current one supersedes it (the old row stays, ``superseded``, as the revision
   history), an equal value changes nothing, so importing the same file again writes nothing.

CLI (the database comes from the settings, ``IOC_DATABASE_URL``)::

    python -m data.indicator_import FILE [--adapter gso|pci|papi|budget|census] [--dry-run] [--report problems.csv]
    python -m data.indicator_import --template mau-chi-so.xlsx

Where things live: ``layout`` (the columns and the problems' words), ``parsing`` and ``validation``
(pure), ``revisions`` (pure: what supersedes what), ``database`` (the import itself) and ``download``
(the template to fill).
"""

from __future__ import annotations

from data.kpis.imports.template.database import (
    CHUNK_ROWS,
    IndicatorImportSummary,
    catalogue_specs,
    context_of,
    define_indicators,
    import_frame,
    indicator_specs,
)
from data.kpis.imports.template.download import (
    catalogue_frame,
    example_period,
    template_csv,
    template_frame,
    template_xlsx,
)
from data.kpis.imports.template.layout import (
    FREQUENCY_NAMES,
    KEY,
    MESSAGES,
    PLACE_REQUIRED,
    REQUIRED_COLUMNS,
    SOURCE_COLUMN,
    SOURCE_ROW,
    TEMPLATE_COLUMNS,
    IndicatorImportError,
)
from data.kpis.imports.template.parsing import (
    CITY,
    IndicatorContext,
    IndicatorSpec,
    Where,
    parse_numbers,
    parse_period,
    places_index,
)
from data.kpis.imports.template.revisions import Plan, plan_changes
from data.kpis.imports.template.validation import ValidationResult, validate

__all__ = [
    "CHUNK_ROWS",
    "CITY",
    "FREQUENCY_NAMES",
    "KEY",
    "MESSAGES",
    "PLACE_REQUIRED",
    "REQUIRED_COLUMNS",
    "SOURCE_COLUMN",
    "SOURCE_ROW",
    "TEMPLATE_COLUMNS",
    "IndicatorContext",
    "IndicatorImportError",
    "IndicatorImportSummary",
    "IndicatorSpec",
    "Plan",
    "ValidationResult",
    "Where",
    "catalogue_frame",
    "catalogue_specs",
    "context_of",
    "define_indicators",
    "example_period",
    "import_frame",
    "indicator_specs",
    "parse_numbers",
    "parse_period",
    "places_index",
    "plan_changes",
    "template_csv",
    "template_frame",
    "template_xlsx",
    "validate",
]
