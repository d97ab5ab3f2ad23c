"""The one settings object: every knob of the IOC, read from the environment (prefix ``IOC_``)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from data.core.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Lifetimes:
    """How long a sign-in session lives: since its last use (idle) and since its login (absolute)."""

    idle: timedelta
    absolute: timedelta


class Settings(BaseSettings):
    """Configuration of one IOC deployment. Every field has a safe default for the embedded mode."""

    model_config = SettingsConfigDict(
        env_prefix="IOC_", env_file=".env", env_file_encoding="utf-8", extra="forbid"
    )

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'ioc.sqlite3'}",
        description="SQLAlchemy URL: a SQLite file (embedded) or postgresql+psycopg://...",
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
    streams_host: str = Field(default="127.0.0.1", description="address of the stream gateway")
    streams_port: int = Field(default=8060, ge=1, le=65535, description="port of the stream gateway")
    streams_internal_token: str = Field(
        default_factory=lambda: secrets.token_hex(16),
        min_length=16,
        description="shared secret between the web app and the stream gateway",
    )
    run_streams: bool = Field(default=True, description="python app.py also runs the stream gateway")
    run_workers: bool = Field(
        default=True, description="python app.py also runs the jobs: on threads when embedded; with IOC_REDIS_URL "
                                  "as a `python -m data.worker` child it starts and stops",
    )
    demo: bool = Field(default=True, description="seed demo data into an empty database")
    map_copy: bool = Field(default=True, description="the map's density counts on an in-process copy of "
                           "the reports' map columns (data/reports/mirror.py); off: the database counts")
    demo_reports: int = Field(default=4000, ge=0, le=2_000_000, description="demo reports for one year")
    demo_cameras: int = Field(default=24, ge=0, le=2000, description="demo camera points")
    map_tile_url: str = Field(
        default="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        description="XYZ tile URL of the base map (a city may run its own tile server)",
    )
    map_tile_attribution: str = Field(default="© OpenStreetMap contributors")
    map_dark_tile_url: str = Field(
        default="https://{s}.basemaps.cartocdn.com/dark_all/{z}/{x}/{y}.png",
        description="XYZ tile URL of the dark base map offered for the video wall; /tiles/dark/{z}/{x}/{y}.png "
        "is a built-in dark grid",
    )
    map_dark_tile_attribution: str = Field(default="© OpenStreetMap contributors © CARTO")
    map_center: tuple[float, float] = Field(default=(16.4637, 107.5909), description="lat, lon")
    map_zoom: int = Field(default=13, ge=1, le=19)
    default_language: Literal["vi", "en"] = "vi"
    timezone: str = Field(default="Asia/Ho_Chi_Minh", description="times are shown, and days cut, in this zone")
    admin_username: str | None = Field(default=None, description="create this admin at start-up")
    admin_password: str | None = Field(default=None, min_length=10, description="its password")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # --- sign-in sessions ---
    session_idle_minutes: int = Field(
        default=60, ge=5, le=7 * 24 * 60,
        description="a session not used for this long ends (an open page's own refreshes count as use)",
    )
    session_max_hours: int = Field(
        default=12, ge=1, le=30 * 24,
        description="a session ends this long after its login however busy (one shift; raise it for wall screens)",
    )
    session_cookie_secure: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="mark cookies Secure (HTTPS only): auto = when IOC_PUBLIC_BASE_URL is https:// or the "
                    "request came over HTTPS (directly or through a trusted proxy)",
    )
    upload_dir: Path = Field(default=PROJECT_ROOT / "var" / "uploads")

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

    # --- citizen reports: intake ---
    city_code: str = Field(
        default="HUE", pattern=r"^[A-Z]{2,8}$", description="short code of the city: tracking codes start with it"
    )
    public_base_url: str = Field(
        default="",
        description="address citizens reach the app at (links in replies, Open311 discovery and media); "
        "empty = http://IOC_HOST:IOC_PORT (127.0.0.1 when the host is a wildcard): set it behind a proxy",
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
    zalo_app_secret: str | None = Field(default=None, description="Zalo OA app secret: verifies webhooks")
    zalo_timestamp_window_s: int = Field(
        default=300, ge=30, le=86400,
        description="a Zalo delivery stamped further than this from the server's clock is refused (replays)",
    )
    zalo_oa_access_token: str | None = Field(default=None, description="Zalo OA token: replies to citizens")
    zalo_api_url: str = Field(default="https://openapi.zalo.me", description="Zalo OA API base URL")
    facebook_app_secret: str | None = Field(default=None, description="Facebook app secret: verifies webhooks")
    facebook_verify_token: str | None = Field(default=None, description="Facebook webhook subscription token")
    facebook_page_token: str | None = Field(default=None, description="Facebook page token: replies")
    facebook_graph_url: str = Field(default="https://graph.facebook.com/v21.0", description="Graph API base URL")
    imap_host: str | None = Field(default=None, description="mailbox the email intake job reads; unset = off")
    imap_port: int = Field(default=993, ge=1, le=65535)
    imap_ssl: bool = Field(default=True, description="IMAP over TLS (port 993) or plain/STARTTLS")
    imap_username: str | None = None
    imap_password: str | None = None
    imap_folder: str = Field(default="INBOX")
    imap_every_s: int = Field(default=60, ge=5, le=86400, description="how often the mailbox is read")
    chat_gather_minutes: int = Field(
        default=10, ge=0, le=1440,
        description="Zalo/Facebook: a sender's messages within this many minutes join their open report",
    )
    smtp_host: str | None = Field(
        default=None, description="mail server for replies to email reports; unset = they stay pending"
    )
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: bool = Field(default=False, description="upgrade the SMTP connection with STARTTLS")
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = Field(default="ioc@localhost", description="From address of replies to email reports")

    # --- citizen reports: the reports page ---
    export_xlsx_max_rows: int = Field(
        default=200_000, ge=1, le=1_048_575,
        description="most reports in one Excel export (the workbook is built whole before it is sent; Excel's "
        "own limit is 1,048,576 rows); beyond it the page offers CSV, which streams and has no limit",
    )

    # --- streams ---
    streams_patrol_every_s: float = Field(
        default=120.0, ge=0, le=86400,
        description="visit each camera nobody watches this often to check it and refresh its thumbnail; 0 = off",
    )
    streams_patrol_hold_s: float = Field(default=6.0, ge=1, le=60, description="how long one patrol visit pulls")
    streams_patrol_concurrency: int = Field(default=2, ge=1, le=32, description="patrol visits at the same time")
    streams_idle_grace_s: float = Field(
        default=10.0, ge=0, le=3600, description="keep pulling a camera this long after its last viewer leaves"
    )
    streams_open_timeout_s: float = Field(
        default=10.0, ge=1, le=120, description="give up connecting to a camera (or reading from it) after this"
    )
    streams_answer_wait_s: float = Field(
        default=4.0, ge=0, le=60, description="an offer waits this long for a new camera to open (to learn its codec)"
    )
    streams_stale_after_s: float = Field(
        default=3.0, ge=0.5, le=600, description="no frame for this long: the camera's picture is stale"
    )
    streams_offline_after_s: float = Field(
        default=20.0, ge=1, le=3600, description="no frame for this long (or no connection): the camera is offline"
    )
    streams_health_interval_s: float = Field(
        default=5.0, ge=0.2, le=600, description="write camera health to the database and the bus this often"
    )
    streams_thumbnail_interval_s: float = Field(
        default=30.0, ge=1, le=3600, description="refresh the thumbnail of a camera being pulled this often"
    )
    trusted_proxies: int = Field(
        default=0, ge=0, le=5,
        description="reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0 = none)",
    )
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
    streams_thumbnail_width: int = Field(default=320, ge=64, le=1920, description="thumbnail width in pixels")
    streams_mjpeg_fps: float = Field(default=5.0, gt=0, le=30, description="frame rate of the MJPEG fallback")
    streams_jpeg_quality: int = Field(default=80, ge=10, le=100, description="JPEG quality of snapshots and MJPEG")
    streams_motion_cameras: list[str] = Field(
        default_factory=list,
        description='camera codes watched for motion (JSON list, e.g. ["CAM-001"]); ["*"] = every camera; empty = off',
    )
    streams_motion_fps: float = Field(
        default=2.0, gt=0, le=10, description="pictures per second the motion detector looks at (sub-stream)"
    )
    streams_motion_min_area: float = Field(
        default=0.005, gt=0, lt=1, description="share of the picture that must change to count as motion"
    )
    streams_motion_cooldown_s: float = Field(
        default=60.0, ge=1, le=86400, description="a camera's scene must be still this long before a new motion alert"
    )
    streams_ice_servers: list[str] = Field(
        default_factory=list,
        description='STUN/TURN URLs for the gateway (JSON list); empty = host candidates only (LAN, loopback)',
    )
    streams_peer_connect_timeout_s: float = Field(
        default=20.0, ge=1, le=300, description="close a peer that has not connected after this"
    )
    streams_open_workers: int = Field(
        default=4, ge=1, le=64, description="threads that open cameras (each open blocks ~1.4 s)"
    )
    streams_stop_timeout_s: float = Field(
        default=10.0, ge=1, le=120,
        description="a stopping gateway waits this long for each of its parts (viewers, pulls, encoder threads) "
                    "before leaving it behind",
    )
    streams_transcode_all: bool = Field(
        default=False, description="decode and re-encode every camera to VP8: for comparisons only (~10x the CPU)"
    )
    streams_gst_python: str = Field(
        default="/usr/bin/python3", description="interpreter with GStreamer's gi bindings, for the demo RTSP server"
    )
    streams_demo_rtsp_port: int = Field(
        default=0, ge=0, le=65535, description="port of the demo RTSP server on loopback; 0 = any free port"
    )
    streams_demo_dir: Path = Field(
        default=PROJECT_ROOT / "var" / "demo_video", description="where the generated demo clips are kept"
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql+psycopg://")
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

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @model_validator(mode="after")
    def _derive_public_base_url(self) -> Settings:
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

    @property
    def session_lifetimes(self) -> Lifetimes:
        return Lifetimes(idle=timedelta(minutes=self.session_idle_minutes),
                         absolute=timedelta(hours=self.session_max_hours))

    @property
    def streams_base_url(self) -> str:
        return f"http://{self.streams_host}:{self.streams_port}"


def local_base_url(host: str, port: int) -> str:
    """Where this app answers when nothing else is said: its own host and port (loopback for a wildcard)."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; a bad value raises ConfigError naming the field."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"IOC_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"Invalid settings: {problems}") from None
