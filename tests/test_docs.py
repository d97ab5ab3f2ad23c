"""The documentation keeps up with the code: every setting is described and listed on the generated
settings reference, the README stays a short front door, and the pages name files that exist.

`make docs` (run by `make test` before pytest) builds the site with --strict, which checks the links
and anchors between pages; these tests check what MkDocs cannot know.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from data.core.settings import Settings
from tests.conftest import ROOT

DOCS = ROOT / "docs"
README = ROOT / "README.md"
README_LIMIT_BYTES = 8 * 1024
TWO_COMMANDS = [
    "make run    # installs into .venv and starts the IOC on SQLite with demo data and demo cameras; prints the URL",
    "make test   # installs everything (Debian packages too, as root) and runs ruff, mypy and the whole test suite",
]
# Pages written by others (the recipes name files a reader is about to create) and the hook's code.
NOT_CHECKED = ("recipes", "hooks")


def load_hook() -> ModuleType:
    """docs/hooks/settings_reference.py, imported as MkDocs imports it: from its path."""
    spec = importlib.util.spec_from_file_location("settings_reference", DOCS / "hooks" / "settings_reference.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def hook() -> ModuleType:
    return load_hook()


def test_every_setting_has_a_description() -> None:
    undescribed = [f"IOC_{name.upper()}" for name, field in Settings.model_fields.items()
                   if not (field.description or "").strip()]
    assert not undescribed, f"settings without a description (write one in data/core/settings/): {undescribed}"


def test_every_setting_is_on_the_generated_page(hook: ModuleType) -> None:
    page = hook.render()
    rows = {line for line in page.splitlines() if line.startswith("| <a id=")}
    missing = [f"IOC_{name.upper()}" for name in Settings.model_fields
               if not any(f'id="ioc_{name}"></a>`IOC_{name.upper()}`' in row for row in rows)]
    assert not missing, f"settings missing from the settings reference: {missing}"
    assert len(rows) == len(Settings.model_fields)


def test_every_setting_belongs_to_an_area(hook: ModuleType) -> None:
    """A field declared on Settings itself would land in "Other": it belongs in its area's mixin."""
    homeless = [name for name in Settings.model_fields if hook.area_of(name) is None]
    assert not homeless, f"fields outside every area of data/core/settings/: {homeless}"


def test_generated_rows_render_as_written(hook: ModuleType) -> None:
    """Descriptions are escaped (no stray emphasis, no swallowed <...>) and IOC_ names link to their rows."""
    assert hook.description_text("a_b *c* <camera> `x_y` IOC_REDIS_URL") == (
        r"a\_b \*c\* &lt;camera\> `x_y` [`IOC_REDIS_URL`](#ioc_redis_url)")
    assert hook.type_text(Settings.model_fields["redis_url"].annotation) == "str, optional"
    assert hook.default_text(Settings.model_fields["secret_key"]) == "*random at each start*"
    assert hook.default_text(Settings.model_fields["upload_dir"]) == "`<project>/var/uploads`"


def test_readme_is_short() -> None:
    size = len(README.read_bytes())
    assert size < README_LIMIT_BYTES, f"README.md is {size} bytes: move the detail to docs/"


def test_readme_starts_with_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    first_block = re.search(r"^```[a-z]*\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    assert first_block, "README.md has no code block"
    assert first_block.group(1).splitlines() == TWO_COMMANDS
    first_section = text.find("\n## ")
    assert first_section == -1 or first_block.start() < first_section, "the two commands come before any section"
    assert "`make run` needs only Python ≥ 3.11 and `make`." in text


def test_readme_links_are_relative_files() -> None:
    """Links to the docs work on GitHub: relative paths to files that exist."""
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README.read_text(encoding="utf-8"))
    local = [t for t in targets if not t.startswith(("http://", "https://", "mailto:"))]
    assert any(t.startswith("docs/") for t in local)
    missing = [t for t in local if t.startswith("/") or not (ROOT / t).exists()]
    assert not missing, f"README.md links to missing or absolute paths: {missing}"


def _pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if p.relative_to(DOCS).parts[0] not in NOT_CHECKED)


def _nav_pages(nav: Any) -> set[str]:
    if isinstance(nav, str):
        return {nav}
    if isinstance(nav, list):
        return set().union(*(_nav_pages(item) for item in nav))
    if isinstance(nav, dict):
        return set().union(*(_nav_pages(item) for item in nav.values()))
    return set()


def test_every_page_is_in_the_nav() -> None:
    nav = _nav_pages(yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"])
    orphans = [str(p.relative_to(DOCS)) for p in _pages() if str(p.relative_to(DOCS)) not in nav]
    assert not orphans, f"pages missing from the nav of mkdocs.yml: {orphans}"


# A path of the project in backticks: `layers/registry.py`, `data/intake/`, `gunicorn.conf.py`. Names with
# placeholders (`tests/data/<domain>/`, `dashboard/pages/*.py`) do not match, nor do bare file names.
PROJECT_PATH = re.compile(r"`((?:data|dashboard|layers|streams|tests|bench|scripts|assets|docs)/[\w./-]*"
                          r"|app\.py|gunicorn\.conf\.py|alembic\.ini|mkdocs\.yml|Makefile|LICENSE)`")


def _exists(path: str) -> bool:
    """A module that became a package still counts: `x/y.py` is met by a folder `x/y/`."""
    return (ROOT / path).exists() or (path.endswith(".py") and (ROOT / path.removesuffix(".py")).is_dir())


def test_pages_name_files_that_exist() -> None:
    """A renamed or moved module must take its documentation along."""
    stale = [f"{page.relative_to(ROOT)}: {path}"
             for page in [README, *_pages()]
             for path in PROJECT_PATH.findall(page.read_text(encoding="utf-8"))
             if not _exists(path)]
    assert not stale, "pages name files that do not exist:\n" + "\n".join(stale)
