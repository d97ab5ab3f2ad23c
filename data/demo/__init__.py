"""Demo data for Huế: a year of plausible field reports, agencies, cameras, POIs, KPIs and alerts.

``seed_demo`` fills an empty database once (every row ``is_demo``); ``generate_reports`` makes any
number of report rows (a benchmark inserts a million); the ``demo.new_report`` job adds one report
every 45 s so the wall stays alive. Static data (names, templates, places) is in
``data/demo_data/catalogue.toml``; the district boundaries are dvhcvn's (GPL-3.0, see ``data/demo_data/``).

Where things live: ``seed`` (the seeding steps, in order), ``reports`` (the generator) with
``context``, ``draws``, ``lifecycle``, ``deadlines``, ``seasons``, ``history``, ``texts``,
``assignment`` and ``reporters``; one module per kind of seeded row (``units``, ``agencies``,
``categories``, ``routing``, ``map_features``, ``cameras``, ``kpis``, ``alerts``); ``live`` (the job).
"""

from __future__ import annotations

from data.core.catalogue import CATALOGUE, DEMO_DATA, load_catalogue
from data.demo.alerts import weather_alert
from data.demo.context import ReportContext, load_report_context
from data.demo.deadlines import public_holidays, working_deadline
from data.demo.kpis import month_starts
from data.demo.lifecycle import Draws, Lives, plan_lives, scores

# Importing ``live`` registers the ``demo.new_report`` job (data.core.jobs.job_modules finds it).
from data.demo.live import make_live_submission, new_report
from data.demo.map_features import aqi_from_pm25
from data.demo.naming import english_unit_name, slug
from data.demo.reports import ReportBatch, ReportFactory, generate_report_batches, generate_reports
from data.demo.routing import Rule, route
from data.demo.seed import has_data, seed_demo
from data.demo.times import DAY
from data.models import ReportStatus  # kept for callers that check generated rows against the statuses

__all__ = [
    "CATALOGUE",
    "DAY",
    "DEMO_DATA",
    "Draws",
    "Lives",
    "ReportBatch",
    "ReportContext",
    "ReportFactory",
    "ReportStatus",
    "Rule",
    "aqi_from_pm25",
    "english_unit_name",
    "generate_report_batches",
    "generate_reports",
    "has_data",
    "load_catalogue",
    "load_report_context",
    "make_live_submission",
    "month_starts",
    "new_report",
    "plan_lives",
    "public_holidays",
    "route",
    "scores",
    "seed_demo",
    "slug",
    "weather_alert",
    "working_deadline",
]
