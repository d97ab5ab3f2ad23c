"""docs/recipes/add-a-kpi.md, followed literally: its measure (written as if in ``data/kpis/measures.py``) and
its entry (as if in ``COMPUTED_KPIS``) are all ``kpi.compute_reports`` needs to store a new KPI for the
city, each agency and each ward, on SQLite and PostgreSQL.

The registry the job reads is swapped for one with the recipe's entry added: a real registry, one entry
longer, not a stand-in for anything.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from data.core.runtime import Runtime
from data.kpis import computed, measures, registry
from data.kpis.spec import KpiSpec
from data.models import Indicator, IndicatorValue, ReportStatus, utcnow
from tests.factories import report, world

ROOT = Path(__file__).resolve().parents[3]
RECIPE = ROOT / "docs" / "recipes" / "add-a-kpi.md"
BLOCK = re.compile(r'^```python title="([^"]+)"\n(.*?)^```$', re.S | re.M)


def recipe_spec() -> KpiSpec:
    """The recipe's entry, its measure defined beside the real measures (as the recipe says to write it)."""
    blocks = dict(BLOCK.findall(RECIPE.read_text(encoding="utf-8")))
    assert set(blocks) == {"data/kpis/measures.py", "data/kpis/registry.py"}
    in_measures: dict[str, Any] = dict(vars(measures))
    exec(blocks["data/kpis/measures.py"], in_measures)
    in_registry = dict(vars(registry)) | {"measures": SimpleNamespace(**in_measures)}
    spec = eval(blocks["data/kpis/registry.py"].strip().removesuffix(","), in_registry)
    assert isinstance(spec, KpiSpec)
    return spec


def test_the_recipe_kpi_is_stored_per_city_agency_and_ward(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = recipe_spec()
    assert spec.code not in {s.code for s in registry.COMPUTED_KPIS}, "the example must be new"
    monkeypatch.setattr(computed, "COMPUTED_KPIS", (*registry.COMPUTED_KPIS, spec))
    now = utcnow()
    start = datetime(now.year, now.month, 1)
    with runtime.session() as s:
        w = world(s)
        done = {"status": ReportStatus.RESOLVED, "resolved_at": start + timedelta(minutes=30)}
        report(s, w, created_at=start, agency_id=w.agency_a, admin_unit_id=w.ward, **done)
        report(s, w, created_at=start, agency_id=w.agency_a, admin_unit_id=w.ward_2, **done)
        report(s, w, created_at=start, agency_id=w.agency_b, admin_unit_id=w.ward)
        agency_a, agency_b, ward, ward_2 = w.agency_a, w.agency_b, w.ward, w.ward_2
    assert computed.compute_report_kpis(runtime) > 0
    with runtime.session() as s:
        indicator = s.scalar(select(Indicator).where(Indicator.code == spec.code))
        assert indicator is not None
        assert (indicator.name, indicator.name_en, indicator.unit, indicator.target, indicator.theme,
                indicator.frequency) == (spec.name, spec.name_en, "%", spec.target, "citizen_reports", "month")
        values = {(v.admin_unit_id, v.agency_id): v.value for v in s.scalars(
            select(IndicatorValue).where(IndicatorValue.indicator_id == indicator.id))}
    assert values == {(None, None): 66.7, (None, agency_a): 100.0, (None, agency_b): 0.0,
                      (ward, None): 50.0, (ward_2, None): 100.0}
