"""Settings of the KPIs: feeds of values, the city's names in statistics, and the leaders' page."""

from __future__ import annotations

from pydantic import BaseModel, Field


class KpiSettings(BaseModel):
    """KPIs: feeds of values, how the city is named in national statistics, the leaders' page and its alerts."""

    indicator_feeds: list[str] = Field(
        default_factory=list,
        description="endpoints answering KPI values in the import template, as CSV or JSON (JSON list of URLs); "
                    "empty = off",
    )
    indicator_feeds_every_s: int = Field(
        default=3600, ge=60, le=7 * 86400, description="how often the KPI feeds are pulled"
    )
    indicator_city_names: list[str] = Field(
        default_factory=lambda: ["Thừa Thiên Huế", "Thành phố Huế", "Huế"],
        description="names under which national statistics list the city's own figures (JSON list): "
                    "imported as city-wide values, not as another province",
    )
    kpi_theme_order: list[str] = Field(
        default_factory=lambda: ["economy", "budget", "public_services", "citizen_reports", "education",
                                 "health", "tourism", "environment", "security", "population"],
        description="order of the themes on the leaders' page /kpis (JSON list); themes not listed come last",
    )
    kpi_grace_periods: int = Field(
        default=1, ge=0, le=12,
        description="a KPI's value still counts as current this many periods after its period (figures come late)",
    )
    kpi_alert_on_amber: bool = Field(
        default=False, description="raise a KPI alert when a value turns amber, not only when it turns red"
    )
    kpi_wall_refresh_s: int = Field(
        default=300, ge=10, le=86400, description="how often /kpis?wall=1 (a wall screen) refreshes its cards"
    )
