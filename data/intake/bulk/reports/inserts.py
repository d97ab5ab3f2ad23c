"""Writing one chunk of rows: the reports (COPY on PostgreSQL) and their first events, built by column."""

from __future__ import annotations

import json
import secrets
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from data.core.columns import fold_series, per_unique
from data.core.db import bulk_insert, copy_frame
from data.intake.bulk.reports.mapping import ColumnMapping
from data.intake.bulk.reports.validation import CLOSED_STATUSES
from data.intake.pipeline import CODE_ALPHABET, CODE_LENGTH
from data.models import Channel, Report, ReportEvent, utcnow


def tracking_codes(city_code: str, years: np.ndarray) -> np.ndarray:
    """``pipeline.new_tracking_code`` for many rows at once (same alphabet, length and randomness)."""
    alphabet = np.frombuffer(CODE_ALPHABET.encode(), dtype=np.uint8)
    n, size = len(years), len(CODE_ALPHABET)
    limit = 256 - 256 % size  # rejection sampling keeps every letter equally likely
    picked = np.empty(0, dtype=np.uint8)
    while len(picked) < n * CODE_LENGTH:
        draw = np.frombuffer(secrets.token_bytes(n * CODE_LENGTH * 2 + 64), dtype=np.uint8)
        picked = np.concatenate([picked, draw[draw < limit]])
    letters = alphabet[picked[: n * CODE_LENGTH] % size].reshape(n, CODE_LENGTH)
    suffixes = letters.view(f"S{CODE_LENGTH}").ravel().astype(str)
    return np.char.add(np.char.add(f"{city_code}-", years.astype(str)), np.char.add("-", suffixes))


def _by_keys(session: Session, keys: np.ndarray) -> dict[str, int]:
    """Report ids by idempotency key, for the keys that exist: one query per chunk on PostgreSQL."""
    found: dict[str, int] = {}
    if session.get_bind().dialect.name == "postgresql":
        # One array parameter instead of thousands of bound ones: no giant statement to parse.
        query = text("SELECT id, idempotency_key FROM reports WHERE idempotency_key = ANY(:keys)")
        found.update((str(k), i) for i, k in session.execute(query, {"keys": keys.tolist()}))
        return found
    for start in range(0, len(keys), 2000):  # well under SQLite's limit of bound parameters
        batch = keys[start:start + 2000].tolist()
        found.update((str(k), i) for i, k in session.execute(
            select(Report.id, Report.idempotency_key).where(Report.idempotency_key.in_(batch))))
    return found


def _times_list(values: pd.Series) -> list[Any]:
    boxed = pd.Series(values.dt.to_pydatetime(), index=values.index, dtype=object)
    return boxed.where(values.notna(), None).tolist()


def _json_text(values: pd.Series) -> pd.Series:
    """Each cell as JSON text (strings quoted and escaped), once per distinct value."""
    return per_unique(values, lambda u: u.map(lambda v: json.dumps(None if pd.isna(v) else v, ensure_ascii=False)))


def _attributes_json(rows: pd.DataFrame, mapping: ColumnMapping, run_id: int) -> pd.Series:
    """``{"import_source", "import_run", "import_row", <kept columns>}`` per row as JSON text, built by
    column (``json.dumps`` of 200,000 dicts was 15 % of an import)."""
    text = (f'{{"import_source": {json.dumps(mapping.source)}, "import_run": {run_id}, "import_row": '
            + rows["row"].astype(int).astype(str))
    for column in (c for c in rows.columns if c.startswith("keep:")):
        text = text + f", {json.dumps(column[5:], ensure_ascii=False)}: " + _json_text(rows[column])
    return text + "}"


def insert_reports(session: Session, city_code: str, rows: pd.DataFrame, keys: np.ndarray,
                    mapping: ColumnMapping, run_id: int) -> None:
    now = utcnow()
    n = len(rows)
    codes = tracking_codes(city_code, rows["created_at"].dt.year.to_numpy())
    while len(set(codes)) < n:  # two equal codes in one chunk: draw again (1 in billions)
        codes = tracking_codes(city_code, rows["created_at"].dt.year.to_numpy())
    closed = rows["status"].isin([str(s) for s in CLOSED_STATUSES]).to_numpy()
    frame = pd.DataFrame({
        "tracking_code": codes,
        "channel": rows["channel"].to_numpy(),
        "external_id": rows["external_id"].to_numpy(),
        "idempotency_key": keys,
        "category_id": rows["category_id"].astype("Int64"),
        "agency_id": rows["agency_id"].astype("Int64"),
        "admin_unit_id": rows["admin_unit_id"].astype("Int64"),
        "status": rows["status"].to_numpy(),
        "urgency": "normal",
        "title": rows["title"].to_numpy(),
        "description": rows["description"].to_numpy(),
        "search_text": fold_series(rows["title"].fillna("") + " " + rows["description"]).to_numpy(),
        "lat": rows["lat"].to_numpy(),
        "lon": rows["lon"].to_numpy(),
        "address": rows["address"].to_numpy(),
        "published": False,
        "publish_consent": mapping.publish_consent,
        "attributes": _attributes_json(rows, mapping, run_id).to_numpy(),
        # Open reports wait for the processing sweep (classify, route, deadline); closed ones are history.
        "processed_at": pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ns]").mask(closed, pd.Timestamp(now))
        .to_numpy(),
        "category_confirmed": False,
        "me_too_count": 0,
        "reopen_count": 0,
        "created_at": rows["created_at"].to_numpy(),
        "updated_at": now,
        "resolved_at": rows["resolved_at"].to_numpy(),
        "closed_at": rows["closed_at"].to_numpy(),
        "is_demo": False,
    }, index=rows.index)
    if session.get_bind().dialect.name == "postgresql":
        copy_frame(session, Report, frame)
        return
    boxed = frame.astype(object).where(frame.notna(), None)
    boxed["attributes"] = frame["attributes"].map(json.loads)
    for name in ("processed_at", "created_at", "updated_at", "resolved_at", "closed_at"):
        # The driver wants datetimes, not Timestamps (and None, not NaT).
        boxed[name] = pd.Series(_times_list(pd.to_datetime(frame[name])), index=frame.index, dtype=object)
    bulk_insert(session, Report, boxed.to_dict("records"))  # type: ignore[arg-type]


def insert_events(session: Session, rows: pd.DataFrame, keys: np.ndarray, run_id: int, user_id: int | None,
                   mapping: ColumnMapping) -> None:
    now = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        # Built by PostgreSQL from the rows just copied: no ids fetched, no second COPY.
        session.execute(text(
            "INSERT INTO report_events (report_id, at, user_id, action, to_status, data) "
            "SELECT id, :at, :user_id, 'created', status, json_build_object('channel', CAST(:channel AS text), "
            "'source', CAST(:source AS text), 'import_run', CAST(:run AS integer), "
            "'row', CAST(attributes ->> 'import_row' AS integer)) "
            "FROM reports WHERE idempotency_key = ANY(:keys)"),
            {"at": now, "user_id": user_id, "channel": str(Channel.IMPORT), "source": mapping.source, "run": run_id,
             "keys": keys.tolist()})
        return
    ids = _by_keys(session, keys)
    events = [
        {"report_id": ids[key], "at": now, "user_id": user_id, "action": "created", "from_status": None,
         "to_status": status, "agency_id": None, "note": None,
         "data": {"channel": str(Channel.IMPORT), "source": mapping.source, "import_run": run_id, "row": row}}
        for key, status, row in zip(keys.tolist(), rows["status"].tolist(), rows["row"].tolist(), strict=True)
    ]
    bulk_insert(session, ReportEvent, events)
