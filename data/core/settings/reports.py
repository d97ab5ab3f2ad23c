"""Settings of citizen reports: what intake accepts, how reports are processed, how they are exported."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from data.core.settings.paths import PROJECT_ROOT


class ReportSettings(BaseModel):
    """Citizen reports: intake limits, files, duplicates, classification and exports."""

    city_code: str = Field(
        default="HUE", pattern=r"^[A-Z]{2,8}$", description="short code of the city: tracking codes start with it"
    )
    upload_dir: Path = Field(
        default=PROJECT_ROOT / "var" / "uploads",
        description="where reports' photos and videos are stored, under random keys: in production a backed-up "
                    "directory that every web process and worker sees",
    )
    upload_max_photo_mb: float = Field(default=10.0, gt=0, le=100, description="largest photo accepted")
    upload_max_video_mb: float = Field(default=30.0, gt=0, le=500, description="largest video accepted")
    upload_max_files: int = Field(default=6, ge=0, le=20, description="photos and videos per report")
    upload_max_photo_megapixels: float = Field(
        default=40.0, gt=0, le=80,
        description="a photo with more pixels is refused from its header, before decoding (a 150 KB PNG can "
                    "hold 159 M pixels, 1 GB once decoded)",
    )
    upload_photo_max_side_px: int = Field(
        default=4096, ge=320, le=16384, description="photos are stored downscaled to this on their longer side"
    )
    upload_image_workers: int = Field(
        default=2, ge=1, le=32,
        description="photos one process decodes at once (each up to ~4 bytes × the pixel limit); others wait",
    )
    upload_image_wait_s: float = Field(
        default=30.0, ge=0.1, le=600, description="a photo that waited this long for a slot is refused with 503"
    )
    intake_max_request_mb: float = Field(
        default=40.0, gt=0, le=1000, description="largest HTTP request body (all files of one report)"
    )
    intake_bbox: tuple[float, float, float, float] | None = Field(
        default=None,
        description="min_lon, min_lat, max_lon, max_lat that reports must fall in; unset = the loaded admin units",
    )
    intake_form_rate_limit: str = Field(
        default="10/minute;100/hour",
        description="submissions of the public web form per IP (flask-limiter syntax); empty = no limit",
    )
    duplicate_radius_m: float = Field(default=150.0, gt=0, le=5000, description="duplicates: how near")
    duplicate_days: int = Field(default=7, ge=0, le=365, description="duplicates: how recent")
    classifier_min_confidence: float = Field(
        default=0.55, ge=0, le=1, description="below this the classifier's guess is only a suggestion"
    )
    export_xlsx_max_rows: int = Field(
        default=200_000, ge=1, le=1_048_575,
        description="most reports in one Excel export (the workbook is built whole before it is sent; Excel's "
        "own limit is 1,048,576 rows); beyond it the page offers CSV, which streams and has no limit",
    )
