"""Settings of the monitoring services: press, environment sensors and fishing vessels."""

from __future__ import annotations

from pydantic import BaseModel, Field


class MonitoringSettings(BaseModel):
    """Press, environment sensors and fishing vessels: feeds to pull, how often, and when to alert."""

    press_feeds: list[str] = Field(
        default_factory=list,
        description='RSS/Atom feeds of the local press to watch (JSON list of URLs); empty = off',
    )
    press_watch_words: list[str] = Field(
        # Matched without accents, so each is a phrase that stays unambiguous without them ("bão"
        # alone would match every "báo", "cháy" every "chạy").
        default_factory=lambda: ["ngập", "sạt lở", "lũ lụt", "mưa bão", "hỏa hoạn", "cháy nhà", "tai nạn",
                                 "ô nhiễm", "mất điện", "mất nước", "ùn tắc", "sụt lún", "bức xúc"],
        description="an article whose title or summary holds one of these (accents ignored) raises an alert",
    )
    press_every_s: int = Field(default=600, ge=30, le=86400, description="how often the press feeds are read")
    sensor_feeds: list[str] = Field(
        default_factory=list,
        description="endpoints answering a JSON batch of environment sensor readings (JSON list of URLs); empty = off",
    )
    sensor_feeds_every_s: int = Field(default=300, ge=30, le=86400, description="how often the sensor feeds are read")
    vessel_feeds: list[str] = Field(
        default_factory=list,
        description="endpoints answering fishing-vessel positions as the ingest API's JSON (JSON list of URLs); "
                    "empty = off",
    )
    vessel_feeds_every_s: int = Field(default=60, ge=10, le=86400, description="how often the vessel feeds are pulled")
    vessel_silent_after_min: int = Field(
        default=30, ge=1, le=7 * 24 * 60,
        description="a vessel at sea (not moored) that has not reported for this many minutes raises a 'silent' alert",
    )
    vessel_silent_check_every_s: int = Field(
        default=300, ge=30, le=86400, description="how often the vessels are checked for silence"
    )
