"""Import citizen reports from another system's CSV/Excel export: map, check every row, then bulk-write.

Three steps, each usable alone:

1. ``read_table`` reads .csv (encoding and delimiter detected), .xlsx or point .geojson into a
   DataFrame of strings, so nothing is silently coerced;
2. ``validate`` (pure, vectorised with pandas: no database) applies a ``ColumnMapping`` and answers a
   ``ValidationResult``: the cleaned rows to keep and one problem per row and column, numbered as
   the user sees the row in the file (header = row 1);
3. ``import_reports`` records an ``ImportRun`` and, unless it is a dry run, writes the kept rows in
   chunks, one transaction each (COPY on PostgreSQL). ``idempotency_key = import:<source>:<id>`` makes
   a re-run, or an overlapping file, create nothing twice, so a crash mid-way is healed by re-running.

CLI (the database comes from the settings, ``IOC_DATABASE_URL``)::

    python -m data.report_import FILE --preset nyc311 [--mapping mapping.toml] [--source NAME] [--dry-run] \\
        [--report problems.csv]

The source (the mapping's ``source``, or ``--source``) scopes the duplicate check: a row whose source and
id were imported before is skipped, and the per-row report says when and as which report.

Presets in ``data/import_presets/`` show how a city maps a foreign export onto its own categories.

Where things live: ``mapping`` (the ``ColumnMapping`` and the shipped presets), ``validation`` (with
``places`` and ``messages``, all pure), ``writing`` (the import and its dry run), with ``earlier``
(rows imported before), ``inserts`` (one chunk's rows) and ``summary`` (what it did). The per-row
problems and the whole-column helpers are shared with the KPI import: ``data.core.row_checks`` and
``data.core.columns``.
"""

from __future__ import annotations

from data.core.columns import fold_series, map_values, per_unique
from data.core.row_checks import PROBLEM_COLUMNS, FormatMismatch, RowChecks, ValidationResult, stored_problems
from data.intake.bulk.reports.earlier import Earlier, already_imported, import_keys
from data.intake.bulk.reports.inserts import tracking_codes
from data.intake.bulk.reports.mapping import (
    IMPORT_ATTRIBUTES,
    PRESETS_DIR,
    VALUE_FIELDS,
    ColumnMapping,
    load_mapping,
    preset,
    presets,
    source_name,
    value_choices,
)
from data.intake.bulk.reports.messages import MESSAGES
from data.intake.bulk.reports.places import locate_many
from data.intake.bulk.reports.summary import ImportSummary
from data.intake.bulk.reports.validation import (
    DATE_FORMATS,
    ImportContext,
    parse_times,
    suggest_datetime_format,
    validate,
)
from data.intake.bulk.reports.writing import CHUNK_ROWS, check_file, context_of, import_reports

__all__ = [
    "CHUNK_ROWS",
    "DATE_FORMATS",
    "IMPORT_ATTRIBUTES",
    "MESSAGES",
    "PRESETS_DIR",
    "PROBLEM_COLUMNS",
    "VALUE_FIELDS",
    "ColumnMapping",
    "Earlier",
    "FormatMismatch",
    "ImportContext",
    "ImportSummary",
    "RowChecks",
    "ValidationResult",
    "already_imported",
    "check_file",
    "context_of",
    "fold_series",
    "import_keys",
    "import_reports",
    "load_mapping",
    "locate_many",
    "map_values",
    "parse_times",
    "per_unique",
    "preset",
    "presets",
    "source_name",
    "stored_problems",
    "suggest_datetime_format",
    "tracking_codes",
    "validate",
    "value_choices",
]
