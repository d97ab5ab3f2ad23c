"""Settings of the demo: what is seeded into an empty database."""

from __future__ import annotations

from pydantic import BaseModel, Field


class DemoSettings(BaseModel):
    """The demo: generated reports, cameras, sensors and boats seeded into an empty database."""

    demo: bool = Field(default=True, description="seed demo data into an empty database")
    demo_reports: int = Field(default=4000, ge=0, le=2_000_000, description="demo reports for one year")
    demo_cameras: int = Field(default=24, ge=0, le=2000, description="demo camera points")
