"""The import contracts of pyproject.toml hold, and an upward import breaks them (so `make lint` fails)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).parent / "lint-imports"


def _copy(tmp_path: Path) -> Path:
    """The four packages and the contracts, copied: the scratch branch the upward import goes into."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("data", "dashboard", "layers", "streams"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", project)
    return project


def _lint(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT), "--no-cache"], cwd=project, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(project), "PATH": "/usr/bin:/bin"})


def test_the_contracts_hold_and_an_upward_import_breaks_them(tmp_path: Path) -> None:
    project = _copy(tmp_path)
    kept = _lint(project)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "Contracts: 4 kept, 0 broken." in kept.stdout

    # A text helper of data.core reaching up into the reports: the kind of import the layers forbid.
    text = project / "data" / "core" / "text.py"
    upward = "\n\ndef _upward() -> None:\n    from data.reports.queries import counts_by  # noqa: F401\n"
    text.write_text(text.read_text() + upward)
    broken = _lint(project)
    assert broken.returncode != 0
    assert "data.core is not allowed to import data.reports" in broken.stdout
    assert "data.core.text -> data.reports.queries" in broken.stdout


def test_data_never_imports_the_user_interface(tmp_path: Path) -> None:
    project = _copy(tmp_path)
    models = project / "data" / "models.py"
    if not models.exists():  # a package once split
        models = project / "data" / "models" / "__init__.py"
    models.write_text(models.read_text() + "\nimport dashboard.i18n  # noqa: E402,F401\n")
    broken = _lint(project)
    assert broken.returncode != 0
    assert "data never imports the user interface BROKEN" in broken.stdout
