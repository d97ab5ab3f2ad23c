"""Checking a table's rows as whole columns: one problem per row and column, and what validation answers.

Rows are numbered as the user sees them in the file (header = row 1). The report import
(data.intake.bulk.reports) and the KPI import (data.kpis.imports.template) both report this way, each
with its own words for the problems (``messages``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

PROBLEMS_KEPT = 10_000  # in the ImportRun row; the full list goes to the CSV report

PROBLEM_COLUMNS = ["row", "column", "value", "severity", "reason", "message"]
# Source values the value maps do not know: which field, the value, how many rows, the code it maps to
# when that code is not in the catalogue (else None), and what the rows get instead ("" = the
# classifier or the router decides, "skip" = the rows are skipped).
UNMAPPED_COLUMNS = ["field", "column", "value", "rows", "code", "used"]


@dataclass(frozen=True)
class FormatMismatch:
    """A date column that the date format reads in no row: the format is wrong, not the rows."""

    column: str
    datetime_format: str  # "ISO8601" when the mapping gives none
    example: str  # the column's first date
    rows: int
    suggestion: str | None  # a format that reads every date of the column, if one of those tried does

    def message(self) -> str:
        text = (f"Định dạng ngày «{self.datetime_format}» không đọc được ngày nào trong cột này "
                f"(vd. «{self.example}»): cả {self.rows} dòng bị bỏ qua.")
        return text + (f" Định dạng đọc được các ngày này: «{self.suggestion}»." if self.suggestion else "")


def _no_unmapped() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=int if c == "rows" else object) for c in UNMAPPED_COLUMNS})


@dataclass
class ValidationResult:
    """Rows to keep (cleaned, one per kept file row) and one problem per row and column."""

    rows_total: int
    rows: pd.DataFrame
    problems: pd.DataFrame
    columns_missing: list[str] = field(default_factory=list)
    unmapped: pd.DataFrame = field(default_factory=_no_unmapped)  # UNMAPPED_COLUMNS, most rows first
    format_mismatches: list[FormatMismatch] = field(default_factory=list)

    @property
    def rows_kept(self) -> int:
        return len(self.rows)

    @property
    def rows_skipped(self) -> int:
        return self.rows_total - len(self.rows)

    @property
    def warnings(self) -> int:
        return int((self.problems["severity"] == "warning").sum())

    def counts(self) -> dict[str, int]:
        """Problems by (severity, reason), most frequent first: ``{"error:date_unparseable": 3, ...}``."""
        keys = self.problems["severity"] + ":" + self.problems["reason"]
        return {str(k): int(v) for k, v in keys.value_counts().items()}

    def problems_csv(self) -> bytes:
        """The per-row report, UTF-8 with BOM so that Excel shows the Vietnamese text right."""
        return self.problems.to_csv(index=False).encode("utf-8-sig")

    def add_problems(self, more: pd.DataFrame) -> None:
        """Problems found after validation (rows already imported), merged in file order."""
        if len(more):  # once per import: a sort per chunk would make a re-import quadratic
            merged = pd.concat([self.problems, more[PROBLEM_COLUMNS]], ignore_index=True)
            self.problems = merged.sort_values(["row", "severity"], kind="stable", ignore_index=True)


class RowChecks:
    """Collects problems as whole columns of rows, and which rows are skipped.

    ``rows`` numbers the rows as the user sees them (default: file order, header = row 1); an adapter
    that turns one source row into several passes the source's numbers. ``messages`` holds the texts.
    """

    def __init__(self, frame: pd.DataFrame, messages: Mapping[str, str],
                 rows: pd.Series | None = None) -> None:
        self.row = pd.Series(np.arange(len(frame)) + 2, index=frame.index) if rows is None else rows
        self.skip = pd.Series(False, index=frame.index)
        self.frames: list[pd.DataFrame] = []
        self.messages = messages
        self.file_problems: list[dict[str, Any]] = []

    def add(self, mask: pd.Series, column: pd.Series | str | None, values: pd.Series | str, reason: str, *,
            skip: bool, message_key: str | None = None) -> None:
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        if skip:
            self.skip |= mask
        value = values[mask].astype(str) if isinstance(values, pd.Series) else values
        self.frames.append(pd.DataFrame({
            "row": self.row[mask], "column": column[mask] if isinstance(column, pd.Series) else column or "",
            "value": value, "severity": "error" if skip else "warning", "reason": reason,
            "message": self.messages[message_key or reason],
        }))

    def add_file(self, mask: pd.Series, column: str, value: str, reason: str, message: str) -> None:
        """Skip the rows of ``mask`` for a reason of the whole file, said once (as row 1, the header's)."""
        self.skip |= mask.fillna(False).astype(bool)
        self.file_problems.append({"row": 1, "column": column, "value": value, "severity": "error",
                                   "reason": reason, "message": message})

    def frame(self, header_problems: list[dict[str, Any]]) -> pd.DataFrame:
        frames = [pd.DataFrame(header_problems + self.file_problems, columns=PROBLEM_COLUMNS), *self.frames]
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame({c: pd.Series(dtype=int if c == "row" else str) for c in PROBLEM_COLUMNS})
        out = pd.concat(frames, ignore_index=True)[PROBLEM_COLUMNS]
        out["row"] = out["row"].astype(int)
        return out.sort_values(["row", "severity"], kind="stable", ignore_index=True)


def stored_problems(problems: pd.DataFrame) -> list[Any]:
    """The problems as the ImportRun keeps them: the first ``PROBLEMS_KEPT``, then a line saying how many more."""
    kept = problems.head(PROBLEMS_KEPT).to_dict("records")
    if len(problems) > PROBLEMS_KEPT:
        kept.append({"row": None, "column": "", "value": "", "severity": "info", "reason": "truncated",
                     "message": f"… và {len(problems) - PROBLEMS_KEPT} vấn đề khác (xem tệp báo cáo)."})
    return kept
