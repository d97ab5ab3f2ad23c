"""The map's exports: the reports inside the drawn areas, or of the current filter, as CSV or GeoJSON.

The columns and cell forms are the reports page's export (``report_export``) *without* the sealed
reporter columns, whatever the viewer's role: a map export is about places, and files travel. The
file goes to the browser through a callback (``dcc.Download``), so it is capped at ``MAX_ROWS``.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from dashboard.api.report_export import cell, columns_for, value_labels

MAX_ROWS = 50_000
FORMATS = {"csv": "text/csv", "geojson": "application/geo+json"}


@dataclass(frozen=True)
class MapExport:
    content: str
    filename: str
    rows: int
    truncated: bool  # more reports matched than MAX_ROWS: the newest MAX_ROWS are in the file


def _cells(row: dict[str, Any], tz: tzinfo, labels: dict[str, dict[str, str]]) -> dict[str, Any]:
    return {key: cell(key, row.get(key), tz, labels) for key, _ in columns_for(False)}


def export_csv(rows: Iterable[dict[str, Any]], tz: tzinfo) -> str:
    """The rows as CSV (UTF-8 BOM, so Excel reads the accents), Vietnamese headers as on /reports."""
    labels, buffer = value_labels(), io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([header for _, header in columns_for(False)])
    for row in rows:
        writer.writerow(list(_cells(row, tz, labels).values()))
    return buffer.getvalue()


def export_geojson(rows: Iterable[dict[str, Any]], tz: tzinfo) -> str:
    """The rows as a GeoJSON FeatureCollection of points; the properties are the CSV's columns."""
    labels = value_labels()
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
                 "properties": _cells(row, tz, labels)} for row in rows]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def build_export(rows: Iterator[dict[str, Any]], fmt: str, tz: tzinfo, local_now: datetime) -> MapExport:
    """At most ``MAX_ROWS`` of ``rows`` in ``fmt`` ("csv" or "geojson"), named by the local time."""
    kept = list(itertools.islice(rows, MAX_ROWS + 1))
    truncated = len(kept) > MAX_ROWS
    kept = kept[:MAX_ROWS]
    content = export_geojson(kept, tz) if fmt == "geojson" else export_csv(kept, tz)
    filename = f"ban-do-phan-anh-{local_now.strftime('%Y%m%d-%H%M')}.{fmt}"
    return MapExport(content, filename, len(kept), truncated)
