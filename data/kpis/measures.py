"""How computed KPIs are measured: functions of one pass's inputs (``PassInputs``) giving a value per
scope (the city, an agency, a unit; None where there is no value). ``data.kpis.registry`` names them."""

from __future__ import annotations

from collections.abc import Mapping

from data.kpis.spec import Measure, PassInputs
from data.kpis.status import ReportStats, Scope


def report_figure(attribute: str) -> Measure:
    """A ``ReportStats`` figure (``received``, ``on_time_pct``...) per scope, for the pass's month."""
    if attribute not in ReportStats.__dataclass_fields__:
        raise ValueError(f"ReportStats has no figure {attribute!r}")

    def measure(inputs: PassInputs) -> dict[Scope, float | None]:
        return {scope: getattr(stats, attribute) for scope, stats in inputs.report_stats.items()}

    return measure


def cameras_online(inputs: PassInputs) -> Mapping[Scope, float | None]:
    """Share (%) of cameras online now, per scope."""
    return inputs.camera_availability
