"""A CSV, Excel or point GeoJSON file read as a table of strings: encoding and delimiter detected."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    pass
from typing import TYPE_CHECKING

from data.core.errors import InvalidInput

if TYPE_CHECKING:
    pass


class ImportFileError(InvalidInput):
    """A file that cannot be read as a table at all (unknown type, empty, not CSV/Excel/GeoJSON)."""

    title = "Tệp nhập không hợp lệ"




def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else Vietnamese Windows-1258, else Windows-1252; NFC-normalised."""
    for encoding in ("utf-8-sig", "cp1258", "cp1252", "latin-1"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        # Windows-1258 writes tones as combining marks; our text (and search) is precomposed.
        return unicodedata.normalize("NFC", text)
    raise AssertionError("latin-1 decodes any bytes")


def _delimiter(text: str) -> str:
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample.split("\n", 20)[0] if sample.count("\n") < 2 else sample,
                                   delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_table(source: Path | bytes, filename: str | None = None) -> pd.DataFrame:
    """The file as a DataFrame of strings ('' for blank cells): .csv/.txt, .xlsx or point .geojson."""
    name = filename or (source.name if isinstance(source, Path) else "upload.csv")
    raw = source.read_bytes() if isinstance(source, Path) else source
    suffix = Path(name).suffix.lower()
    if not raw.strip():
        raise ImportFileError(f"Tệp «{name}» trống.")
    try:
        if suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(io.BytesIO(raw), dtype=str, engine="openpyxl", keep_default_na=False)
        elif suffix in (".geojson", ".json"):
            frame = _geojson_table(json.loads(decode(raw)))
        elif suffix in (".csv", ".txt", ".tsv", ""):
            text = decode(raw)
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=_delimiter(text))
        else:
            raise ImportFileError(f"Không đọc được tệp «{name}»: chỉ nhận .csv, .xlsx hoặc .geojson.")
    except ImportFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is the file's fault, said in one line
        raise ImportFileError(f"Không đọc được tệp «{name}»: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.fillna("").astype(str).reset_index(drop=True)


def _geojson_table(collection: Any) -> pd.DataFrame:
    """Point features as rows: their properties, plus ``_lat`` and ``_lon`` from the geometry."""
    if not isinstance(collection, dict) or not isinstance(collection.get("features"), list):
        raise ImportFileError("Tệp GeoJSON phải là một FeatureCollection.")
    records = []
    for feature in collection["features"]:
        props = dict((feature or {}).get("properties") or {})
        geometry = (feature or {}).get("geometry") or {}
        point = geometry.get("coordinates") if geometry.get("type") == "Point" else None
        props["_lon"], props["_lat"] = (point[0], point[1]) if point and len(point) >= 2 else ("", "")
        records.append({k: "" if v is None else str(v) for k, v in props.items()})
    return pd.DataFrame.from_records(records)
