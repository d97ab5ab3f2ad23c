"""Settings of the deployment itself: database, Redis, the web server, the processes and the clock."""

from __future__ import annotations

import secrets
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator, model_validator

from data.core.settings.paths import PROJECT_ROOT


def local_base_url(host: str, port: int) -> str:
    """Where this app answers when nothing else is said: its own host and port (loopback for a wildcard)."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class ServerSettings(BaseModel):
    """Database, Redis, web server and processes: what every deployment sets first."""

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'ioc.sqlite3'}",
        description="SQLAlchemy URL: a SQLite file (embedded) or postgresql+psycopg://...",
    )
    postgis: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="locate reports with PostGIS (ST_Covers, GiST index) on PostgreSQL: auto = when the database "
                    "has it (python -m data geo postgis installs it), on = required, off = always shapely",
    )
    redis_url: str | None = Field(
        default=None,
        description="redis://host:port/db; unset = embedded mode (in-process bus and jobs)",
    )
    redis_prefix: str = Field(default="ioc", min_length=1, description="prefix of every Redis key")
    secret_key: str = Field(
        default_factory=lambda: secrets.token_hex(32),
        min_length=16,
        description="signs session cookies; set it in production so sessions survive restarts",
    )
    host: str = Field(default="127.0.0.1", description="address the web server listens on")
    port: int = Field(default=8050, ge=1, le=65535, description="port of the web app")
    public_base_url: str = Field(
        default="",
        description="address citizens reach the app at (links in replies, Open311 discovery and media); "
        "empty = http://IOC_HOST:IOC_PORT (127.0.0.1 when the host is a wildcard): set it behind a proxy",
    )
    trusted_proxies: int = Field(
        default=0, ge=0, le=5,
        description="reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0 = none)",
    )
    run_streams: bool = Field(default=True, description="python app.py also runs the stream gateway")
    run_workers: bool = Field(
        default=True, description="python app.py also runs the jobs: on threads when embedded; with IOC_REDIS_URL "
                                  "as a `python -m data.worker` child it starts and stops",
    )
    default_language: Literal["vi", "en"] = Field(
        default="vi",
        description="language of the pages for a visitor who has not picked one with the language switch: vi or en",
    )
    timezone: str = Field(
        default="Asia/Ho_Chi_Minh",
        description="times are shown, and days cut, in this zone (pages, exports, alert texts, map tooltips, "
                    "import messages); they are stored as UTC",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO",
        description="how much the processes log: DEBUG, INFO, WARNING or ERROR; DEBUG only while chasing a problem",
    )
    # --- background jobs ---
    job_every_s: dict[str, int] = Field(
        default_factory=dict,
        description='scheduled jobs run at other intervals than their own (JSON map of job name to seconds, '
                    '1 s to 7 days, e.g. {"press.read_feeds": 300}); an unknown job name stops start-up',
    )
    job_stall_after_s: int = Field(
        default=60, ge=0, le=3600,
        description="no sweep of new reports (reports.process_pending) started for this long: an alert is raised "
                    "and /healthz says so; 0 = no alert",
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql+psycopg://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Ho_Chi_Minh)") from None
        return value

    @field_validator("job_every_s")
    @classmethod
    def _sane_intervals(cls, value: dict[str, int]) -> dict[str, int]:
        wrong = [f"{name}={seconds}" for name, seconds in value.items() if not 1 <= seconds <= 7 * 86400]
        if wrong:
            raise ValueError(f"intervals must be 1 to 604800 seconds: {', '.join(wrong)}")
        return value

    @model_validator(mode="after")
    def _derive_public_base_url(self) -> ServerSettings:
        if not self.public_base_url:
            self.public_base_url = local_base_url(self.host, self.port)
        return self

    @property
    def embedded(self) -> bool:
        """True when no Redis is configured: bus and jobs run in this process."""
        return self.redis_url is None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
