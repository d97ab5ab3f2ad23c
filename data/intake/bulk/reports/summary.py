"""What one import (or dry run) did, as the CLI prints it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from data.core.row_checks import ValidationResult
from data.intake.bulk.reports.messages import MESSAGES


@dataclass
class ImportSummary:
    """What one import (or dry run) did; ``validation`` holds the per-row problems."""

    run_id: int
    filename: str
    sha256: str
    dry_run: bool
    validation: ValidationResult
    imported: int = 0
    already_imported: int = 0  # rows of this source imported before (in a dry run: that would be skipped)
    source: str = ""

    @property
    def skipped(self) -> int:
        return self.validation.rows_skipped + self.already_imported

    @property
    def to_import(self) -> int:
        """Valid rows not imported before: what the import writes (or, after it, wrote)."""
        return self.validation.rows_kept - self.already_imported

    def text(self) -> str:
        v = self.validation
        lines = [
            f"{'Chạy thử' if self.dry_run else 'Nhập'} «{self.filename}» từ nguồn «{self.source}» "
            f"(lần nhập #{self.run_id}):",
            f"  dòng đọc được: {v.rows_total}",
            f"  dòng hợp lệ: {v.rows_kept}" + ("" if self.dry_run else f"; đã nhập mới: {self.imported}"),
            f"  dòng bỏ qua vì lỗi: {v.rows_skipped}",
        ]
        if self.already_imported:
            lines.append(f"  dòng đã nhập từ trước (bỏ qua): {self.already_imported}")
        lines.append(f"  cảnh báo: {v.warnings}")
        lines += [f"  ! {m.column}: {m.message()}" for m in v.format_mismatches]
        for key, count in v.counts().items():
            severity, reason = key.split(":", 1)
            lines.append(f"    {'lỗi' if severity == 'error' else 'cảnh báo'} {reason}: {count} – {MESSAGES[reason]}")
        if len(v.unmapped):
            lines.append("  giá trị chưa ánh xạ (trường «giá trị»: số dòng → khi nhập):")
            lines += [_unmapped_line(u) for u in v.unmapped.to_dict("records")]
        return "\n".join(lines)


def _unmapped_line(unmapped: Mapping[Any, Any]) -> str:
    code = f" → {unmapped['code']} (không có trong danh mục)" if unmapped["code"] else ""
    automatic = "để hệ thống tự phân loại" if unmapped["field"] == "category" else "để hệ thống tự điều phối"
    used = unmapped["used"] or automatic
    return f"    {unmapped['field']} «{unmapped['value']}»{code}: {unmapped['rows']} dòng → {used}"
