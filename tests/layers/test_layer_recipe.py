"""docs/recipes/add-a-layer.md, followed literally: its two code blocks add a layer in one file plus one
registry line, and the real map page then lists the layer in its switcher and draws its points.

The recipe is applied to a copy of ``layers/`` in a temporary folder, never to the project. A child
Python process puts that copy first on its path (``data``, ``dashboard`` and ``app`` still come from
the project), builds the app on a real database, signs in and asks the page router for ``/map``.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "docs" / "recipes" / "add-a-layer.md"
REGISTRY = "registry.py"
PASSWORD = "mat-khau-thu-nghiem-1"
BLOCK = re.compile(r'^```python title="([^"]+)"\n(.*?)^```$', re.S | re.M)
ROUTER = {
    "output": ".._pages_content.children..._pages_store.data..",
    "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
    "state": [], "changedPropIds": ["_pages_location.pathname"],
}


def recipe_blocks() -> dict[str, str]:
    """The recipe's code blocks by their title (the file each goes to)."""
    return {title: code for title, code in BLOCK.findall(RECIPE.read_text(encoding="utf-8"))}


def add_registry_line(registry: str, line: str) -> str:
    """The registry with ``line`` as the last line of ``LAYER_MODULES``, as the recipe says."""
    lines = registry.splitlines(keepends=True)
    start = next(i for i, text in enumerate(lines) if text.startswith("LAYER_MODULES = ("))
    end = next(i for i in range(start, len(lines)) if lines[i].rstrip() == ")")
    return "".join([*lines[:end], line, *lines[end:]])


def snapshot(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.py")}


def test_the_recipe_adds_a_layer_in_one_file_plus_one_registry_line(db_url: str, tmp_path: Path) -> None:
    text = RECIPE.read_text(encoding="utf-8")
    assert "one file plus one registry line" in text
    blocks = recipe_blocks()
    [layer_file] = [title for title in blocks if title != f"layers/{REGISTRY}"]
    registry_block = blocks[f"layers/{REGISTRY}"]
    assert layer_file.startswith("layers/") and not (ROOT / layer_file).exists(), "the example must be new"
    assert len(registry_block.splitlines()) == 1, "the registry step must be one line"

    copy = tmp_path / "copy"
    shutil.copytree(ROOT / "layers", copy / "layers", ignore=shutil.ignore_patterns("__pycache__"))
    before = snapshot(copy / "layers")
    (copy / layer_file).write_text(blocks[layer_file], encoding="utf-8")
    registry = copy / "layers" / REGISTRY
    registry.write_text(add_registry_line(registry.read_text(encoding="utf-8"), registry_block), encoding="utf-8")
    after = snapshot(copy / "layers")

    assert set(after) - set(before) == {Path(layer_file).name}  # one new file
    assert {name for name in before if before[name] != after[name]} == {REGISTRY}  # one file changed...
    diff = [d for d in difflib.ndiff(before[REGISTRY].splitlines(), after[REGISTRY].splitlines()) if d[:1] in "+-"]
    assert diff == ["+ " + registry_block.rstrip("\n")]  # ...by one added line
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--config", str(ROOT / "pyproject.toml"),
                           str(copy / layer_file)], capture_output=True, text=True, check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr

    shown = _map_page_with_the_copy(copy, db_url, tmp_path)
    assert shown["layers_file"] == str(copy / "layers" / "__init__.py")  # the copy was imported, not the project
    assert shown["keys"][-1] == "overdue"  # drawn last, on top
    assert shown["missing_members"] == []  # every member of the Layer protocol is there
    assert shown["overlay"] == {"name": "Phản ánh quá hạn", "checked": True}
    assert sorted(shown["points"]) == ["OVERDUE-1", "OVERDUE-2"]  # not the open one on time, not the resolved
    assert shown["failed"] == []


def _map_page_with_the_copy(copy: Path, db_url: str, tmp_path: Path) -> dict[str, Any]:
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(copy), str(ROOT)])}
    child = subprocess.run(
        [sys.executable, "-c", "import sys, tests.layers.test_layer_recipe as t; t.child(sys.argv[1], sys.argv[2])",
         db_url, str(tmp_path / "uploads")],
        cwd=copy, env=env, capture_output=True, text=True, timeout=240, check=False,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


# --- in the child process -------------------------------------------------------------------------


def child(db_url: str, upload_dir: str) -> None:
    """Seed reports, open /map as the admin, and print what the page shows of the new layer (JSON)."""
    from datetime import timedelta

    import layers
    from app import create_app
    from data.accounts.users import hash_password
    from data.models import ReportStatus, User, utcnow
    from layers.base import Layer
    from layers.registry import LAYERS, by_key
    from tests.dbfixtures import open_runtime
    from tests.factories import report, world
    from tests.logins import client_login

    new = by_key("overdue")
    members = {name for name in vars(Layer) if not name.startswith("_")} | set(Layer.__annotations__)
    with open_runtime(db_url, upload_dir=Path(upload_dir)) as runtime:
        now = utcnow()
        with runtime.session() as s:
            w = world(s)
            admin = s.get(User, w.admin.user_id)
            assert admin is not None
            admin.password_hash, username = hash_password(PASSWORD), admin.username
            for n in (1, 2):
                report(s, w, tracking_code=f"OVERDUE-{n}", expected_at=now - timedelta(hours=n))
            report(s, w, tracking_code="ON-TIME", expected_at=now + timedelta(days=1))
            report(s, w, tracking_code="DONE-LATE", status=ReportStatus.RESOLVED, expected_at=now - timedelta(days=1))
        client = create_app(runtime.settings, runtime).server.test_client()
        assert client_login(client, username, PASSWORD).status_code == 302
        location = [{"id": "_pages_location", "property": "pathname", "value": "/map"},
                    {"id": "_pages_location", "property": "search", "value": "?layers=boundaries,overdue"}]
        answer = client.post("/_dash-update-component", json=ROUTER | {"inputs": location})
        assert answer.status_code == 200, answer.get_data(as_text=True)[:2000]
        page = answer.get_json()["response"]["_pages_content"]["children"]
        # The map page starts loading the in-process report copy (data/reports/mirror.py, DuckDB) in a daemon
        # thread that closing the runtime does not wait for; a process exiting under it aborts in DuckDB.
        for thread in threading.enumerate():
            if thread.name == "report-mirror-load":
                thread.join(120)
    components = list(_components(page))
    overlay = next(p for p in components if _child_id(p) == "map-overlay-overdue")
    drawn = next(p for p in components if p.get("id") == "map-layer-overdue")
    print(json.dumps({
        "layers_file": layers.__file__,
        "keys": [layer.key for layer in LAYERS],
        "missing_members": sorted(m for m in members if not hasattr(new, m)),
        "overlay": {"name": overlay.get("name"), "checked": overlay.get("checked")},
        "points": [f["properties"]["name"] for f in drawn["data"]["features"]],
        "failed": [p["id"] for p in components if str(p.get("id", "")).startswith("map-failed-")],
    }))


def _components(tree: Any) -> list[dict[str, Any]]:
    """The props of every component in a layout as Dash serialises it."""
    found: list[dict[str, Any]] = []
    if isinstance(tree, list):
        for item in tree:
            found += _components(item)
    elif isinstance(tree, dict):
        props = tree.get("props") if "type" in tree and "namespace" in tree else None
        if isinstance(props, dict):
            found.append(props)
            tree = props
        for value in tree.values():
            found += _components(value)
    return found


def _child_id(props: dict[str, Any]) -> Any:
    """The id of a component's single child component (an Overlay holds the layer's LayerGroup)."""
    child = props.get("children")
    return child.get("props", {}).get("id") if isinstance(child, dict) else None
