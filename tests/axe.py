"""axe-core, Deque's accessibility engine (the copy bundled by axe-playwright-python), run on a page in the
test's Chromium: the WCAG 2.1 A and AA rules, violations only."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"]}


def violations(page: Page, context: str | None = None) -> list[str]:
    """Each violated rule, its impact and up to five of the elements that break it."""
    found: list[dict[str, Any]] = Axe().run(page, context=context, options=WCAG).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:5]]}" for v in found]


def assert_accessible(page: Page, context: str | None = None) -> None:
    """No WCAG 2.1 A/AA violation on the page (or in the part ``context`` selects)."""
    found = violations(page, context)
    assert not found, f"{page.url}:\n" + "\n".join(found)
