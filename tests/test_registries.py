"""Every extension point's registry is covered: each entry is named by a test and has a row in its recipe's
table (``docs/recipes/``), each table lists only real entries, and no registry forms an import cycle.

The registries: map layers (``layers/registry.py``), chat channels (``data/intake/channels/registry.py``),
computed KPIs (``data/kpis/registry.py``) and jobs (``data.core.jobs.JOBS`` once ``load_jobs()`` ran).
A test names an entry the way tests use code: a string equal to its name (``by_key("pois")``,
``enqueue("outbox.send")``, ``f"{url}/webhooks/zalo"``), or an import of what implements it (the layer's
or adapter's module, the job's function). This file itself is not searched.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from data.core.jobs import JOBS, load_jobs
from data.intake.channels.registry import ADAPTERS, CHANNELS
from data.kpis.registry import COMPUTED_KPIS
from layers.registry import LAYER_MODULES, LAYERS

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
RECIPES = ROOT / "docs" / "recipes"
TABLE_HEADING = "## The registry today"
BLOCK = re.compile(r'^```python title="([^"]+)"\n(.*?)^```$', re.S | re.M)


@dataclass(frozen=True)
class Entry:
    name: str  # as the recipe's table writes it
    strings: frozenset[str]  # a string constant equal to one of these names it in a test
    code: frozenset[str] = frozenset()  # importing one of these dotted names (or from inside it) names it


@dataclass(frozen=True)
class Registry:
    kind: str
    recipe: str  # the page under docs/recipes/ whose table lists the entries
    names: tuple[str, ...]  # what the recipe must say: the registry's file and its list's name
    tests: str  # the folder under tests/ searched for each entry
    entries: tuple[Entry, ...]


def registries() -> list[Registry]:
    load_jobs()
    return [
        Registry("map layer", "add-a-layer.md", ("layers/registry.py", "LAYER_MODULES"), "layers", tuple(
            Entry(layer.key, frozenset({layer.key}), frozenset({f"layers.{module}"}))
            for layer, module in zip(LAYERS, LAYER_MODULES, strict=True))),
        Registry("chat channel", "add-a-channel.md", ("data/intake/channels/registry.py", "ADAPTERS"), "data/intake",
                 tuple(Entry(name, frozenset({f"/webhooks/{name}"}), frozenset({adapter.__module__}))
                       for name, adapter in CHANNELS.items())),
        Registry("computed KPI", "add-a-kpi.md", ("data/kpis/registry.py", "COMPUTED_KPIS"), "data/kpis", tuple(
            Entry(spec.code, frozenset({spec.code})) for spec in COMPUTED_KPIS)),
        Registry("job", "add-a-job.md", ("data/core/jobs.py", "@register"), "", tuple(
            Entry(name, frozenset({name}), frozenset({f"{fn.__module__}.{fn.__name__}"}))
            for name, fn in sorted(JOBS.items()))),
    ]


REGISTRIES = registries()


# --- what the tests name ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Mentions:
    strings: frozenset[str]  # every string constant, f-strings' literal parts included
    code: frozenset[str]  # every dotted name imported, and module attributes read through an import


@cache
def mentions(path: Path) -> Mentions:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            aliases |= {a.asname or a.name: f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            # ``import a.b`` binds ``a``; ``import a.b as c`` binds ``c`` to ``a.b``.
            aliases |= {a.asname: a.name for a in node.names if a.asname}
            aliases |= {a.name.split(".")[0]: a.name.split(".")[0] for a in node.names if not a.asname}
    used = {f"{aliases[n.value.id]}.{n.attr}" for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in aliases}
    return Mentions(frozenset(strings), frozenset(aliases.values()) | frozenset(used))


def names(entry: Entry, found: Mentions) -> bool:
    return bool(entry.strings & found.strings) or any(
        used == code or used.startswith(f"{code}.") for used in found.code for code in entry.code)


def searched_files(folder: str) -> Iterator[Path]:
    for path in sorted((TESTS / folder).rglob("*.py")):
        if path.resolve() != Path(__file__).resolve():
            yield path


def untested(registry: Registry) -> list[str]:
    files = list(searched_files(registry.tests))
    return [e.name for e in registry.entries if not any(names(e, mentions(path)) for path in files)]


# --- what the recipes list --------------------------------------------------------------------------


def table_names(page: str) -> list[str]:
    """The first cells (in backticks) of the rows under the page's "The registry today" heading."""
    text = (RECIPES / page).read_text(encoding="utf-8")
    assert TABLE_HEADING in text, f"docs/recipes/{page} has no «{TABLE_HEADING}» section"
    section = text.split(TABLE_HEADING, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([^`]+)` \|", section, re.M)


def difference(listed: Iterable[str], real: Iterable[str]) -> tuple[list[str], list[str]]:
    """(real entries the table misses, table rows that are no entry)."""
    listed, real = list(listed), list(real)
    return [n for n in real if n not in listed], [n for n in listed if n not in real]


# --- the checks -------------------------------------------------------------------------------------


@pytest.mark.parametrize("registry", REGISTRIES, ids=lambda r: r.kind)
def test_every_entry_is_named_by_a_test(registry: Registry) -> None:
    missing = untested(registry)
    assert not missing, (f"no test under tests/{registry.tests} names the {registry.kind}(s) {missing}: "
                         f"add one (see docs/recipes/{registry.recipe})")


@pytest.mark.parametrize("registry", REGISTRIES, ids=lambda r: r.kind)
def test_every_entry_has_a_row_in_its_recipe_and_every_row_an_entry(registry: Registry) -> None:
    missing, stale = difference(table_names(registry.recipe), (e.name for e in registry.entries))
    assert not missing, f"docs/recipes/{registry.recipe}: add a row for the {registry.kind}(s) {missing}"
    assert not stale, f"docs/recipes/{registry.recipe}: rows {stale} name no {registry.kind}: remove them"


@pytest.mark.parametrize("registry", REGISTRIES, ids=lambda r: r.kind)
def test_each_recipe_names_its_registry(registry: Registry) -> None:
    text = (RECIPES / registry.recipe).read_text(encoding="utf-8")
    for name in registry.names:
        assert f"`{name}" in text, f"docs/recipes/{registry.recipe} no longer names `{name}`"
    path, listing = registry.names
    assert listing.lstrip("@") in (ROOT / path).read_text(encoding="utf-8"), f"{path} has no {listing}"


def test_the_recipes_new_files_are_lint_clean() -> None:
    """A block titled with a file that does not exist yet is a whole new module: it must pass ruff."""
    for page in sorted(RECIPES.glob("*.md")):
        for title, code in BLOCK.findall(page.read_text(encoding="utf-8")):
            if (ROOT / title).exists():
                continue  # lines to add to an existing file
            lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--config", str(ROOT / "pyproject.toml"),
                                   "--stdin-filename", str(ROOT / title), "-"],
                                  input=code, capture_output=True, text=True, check=False)
            assert lint.returncode == 0, f"{page.name}, {title}:\n{lint.stdout}{lint.stderr}"


def imports_of(path: Path) -> set[str]:
    """Every module a source file imports, at the top or lazily inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


def test_no_registry_is_imported_by_what_it_lists() -> None:
    """A listed module importing its registry back (even lazily) is the cycle the registries replaced."""
    channels = ROOT / "data" / "intake" / "channels"
    adapters = {path.partition(":")[0] for path in ADAPTERS}
    cycles = [f"{path.relative_to(ROOT)} imports layers.registry" for path in
              (ROOT / "layers" / f"{m}.py" for m in LAYER_MODULES) if "layers.registry" in imports_of(path)]
    for module in adapters:
        path = ROOT / (module.replace(".", "/") + ".py")
        if "data.intake.channels.registry" in imports_of(path):
            cycles.append(f"{path.relative_to(ROOT)} imports data.intake.channels.registry")
    for shared in ("base.py", "signed_webhook.py"):  # what the adapters import must not import them
        back = imports_of(channels / shared) & (adapters | {"data.intake.channels.registry"})
        cycles += [f"data/intake/channels/{shared} imports {m}" for m in sorted(back)]
    for listed in ("spec.py", "measures.py"):
        if "data.kpis.registry" in imports_of(ROOT / "data" / "kpis" / listed):
            cycles.append(f"data/kpis/{listed} imports data.kpis.registry")
    assert not cycles, cycles
