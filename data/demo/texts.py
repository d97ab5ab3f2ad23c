"""The words of a report: title, description and search text from its template, and the reply it gets."""

from __future__ import annotations

from data.core.text import fold
from data.demo.context import ReportContext
from data.demo.lifecycle import CLOSED, DISMISSED, REFERRED, RESOLVED

PUBLISHED_SHARE = 0.92


class ReportTexts:
    """Texts of reports, formatted once per (category, template, street or agency) and cached."""

    def __init__(self, ctx: ReportContext) -> None:
        self.ctx = ctx
        self.closings = list(ctx.texts["closings"])
        self.closings_folded = [fold(c) for c in self.closings]
        self._texts: dict[tuple[int, int, str], tuple[str, str, str]] = {}
        self._results: dict[tuple[int, int, int | None], str] = {}

    def text(self, c: int, t: int, street: str) -> tuple[str, str, str]:
        """Title, body and their folded search text for template ``t`` of category ``c`` on ``street``."""
        key = (c, t, street)
        if key not in self._texts:
            template = self.ctx.categories[c].templates[t]
            title, body = template.title.format(street=street), template.body.format(street=street)
            self._texts[key] = (title, body, fold(f"{title} {body}"))
        return self._texts[key]

    def described(self, c: int, t: int, street: str, closing_pick: int) -> tuple[str, str, str]:
        """Title, description and search text: the template's body with one of the reporters' closings."""
        title, body, folded = self.text(c, t, street)
        k = closing_pick % len(self.closings)
        if not self.closings[k]:
            return title, body, folded
        return title, f"{body} {self.closings[k]}", f"{folded} {self.closings_folded[k]}"

    def outcome(self, c: int, t: int, status: str, agency: int | None, publish: float) -> tuple[bool, str | None]:
        """Whether the result is published, and the result text (an agency's reply or the IOC's)."""
        if status in (RESOLVED, CLOSED):
            return publish < PUBLISHED_SHARE, self.result(c, t, agency)
        if status == REFERRED:
            name = self.ctx.agency_names.get(agency or 0, "cơ quan có thẩm quyền")
            return False, self.ctx.texts["referred"].format(agency=name)
        if status in DISMISSED:
            return False, self.ctx.texts[status]
        return False, None

    def result(self, c: int, t: int, agency: int | None) -> str:
        """The reply ``agency`` publishes once template ``t`` of category ``c`` is resolved."""
        key = (c, t, agency)
        if key not in self._results:
            name = self.ctx.agency_names.get(agency or 0, "Đơn vị xử lý")
            self._results[key] = self.ctx.categories[c].templates[t].result.format(agency=name)
        return self._results[key]
