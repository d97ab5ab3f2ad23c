"""The code stays in small pieces: no module of the app over 400 lines, no function over 60 (issue 15).

Counted as a reader meets them: a module by its lines, a function (or method) from its ``def`` line
to its last line (``end_lineno - lineno + 1``, read with ``ast``). Migrations are generated history,
not code to read, so they are left out. Each failure names every offender, largest first.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("data", "dashboard", "layers", "streams")
EXCLUDED = (ROOT / "data" / "migrations",)
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def modules() -> Iterator[Path]:
    """Every Python module of the app's packages, migrations excepted."""
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if not any(path.is_relative_to(excluded) for excluded in EXCLUDED):
                yield path


def long_functions(path: Path) -> Iterator[tuple[str, int]]:
    """``(name, lines)`` of each function or method of ``path`` longer than the limit."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > MAX_FUNCTION_LINES:
                yield f"{node.name} (line {node.lineno})", lines


def _report(offenders: list[tuple[str, int]], limit: int, what: str) -> str:
    listed = "\n".join(f"  {name}: {lines} lines" for name, lines in sorted(offenders, key=lambda o: -o[1]))
    return f"{len(offenders)} {what} over {limit} lines; split them:\n{listed}"


def test_there_are_modules_to_check() -> None:
    # A wrong ROOT would find nothing and pass the two checks below without reading a line.
    assert len(list(modules())) > 100


def test_no_module_is_over_400_lines() -> None:
    offenders = [(str(path.relative_to(ROOT)), len(path.read_text(encoding="utf-8").splitlines()))
                 for path in modules()]
    offenders = [(name, lines) for name, lines in offenders if lines > MAX_MODULE_LINES]
    assert not offenders, _report(offenders, MAX_MODULE_LINES, "modules")


def test_no_function_is_over_60_lines() -> None:
    offenders = [(f"{path.relative_to(ROOT)}: {name}", lines)
                 for path in modules() for name, lines in long_functions(path)]
    assert not offenders, _report(offenders, MAX_FUNCTION_LINES, "functions")
