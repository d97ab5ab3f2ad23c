"""Accessibility checks of a page in the browser tests: axe-core (the engine behind Lighthouse's and
Deque's checks), bundled by the ``axe-playwright-python`` package, run in the real Chromium page.

``assert_accessible(page)`` fails with axe's own report (rule, element, what to fix) when the page, or
the part of it named by ``context``, breaks a WCAG 2.x A/AA rule.
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"]}


def axe_violations(page: Page, context: str | None = None) -> list[dict[str, Any]]:
    """axe-core's violations on ``page`` (or inside the CSS selector ``context``)."""
    results = Axe().run(page, context=context, options=WCAG)
    found: list[dict[str, Any]] = results.response["violations"]
    return found


def assert_accessible(page: Page, context: str | None = None) -> None:
    found = axe_violations(page, context)
    report = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(", ".join(n["target"]) for n in v["nodes"][:5])
        for v in found)
    assert not found, f"axe-core found {len(found)} accessibility problems:\n{report}"
