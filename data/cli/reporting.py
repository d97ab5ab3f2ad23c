"""What the import commands share: run the work on a runtime, print its summary, write the per-row report."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from data.core.errors import InvalidInput
from data.intake.bulk.reports import ValidationResult

if TYPE_CHECKING:
    from data.core.runtime import Runtime


class Reported(Protocol):
    """What an import answers the CLI: a summary to print and the per-row problems."""

    validation: ValidationResult

    def text(self) -> str: ...


def run_import_cli(work: Callable[[Runtime], Reported | None], report: Path | None) -> int:
    """The import CLIs' common part: a runtime for ``work``, its summary printed, its problems written to
    ``report``; a user's mistake is one line on stderr and exit status 1 (``work`` answering None: done)."""
    from data.core.settings import load_settings
    from data.runtime import build_runtime

    try:
        runtime = build_runtime(load_settings())
        try:
            summary = work(runtime)
        finally:
            runtime.close()
    except (InvalidInput, OSError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if summary is None:
        return 0
    print(summary.text())
    if report:
        report.write_bytes(summary.validation.problems_csv())
        print(f"Báo cáo từng dòng: {report}")
    return 0
