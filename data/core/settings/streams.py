"""Settings of the stream gateway: where it listens, how it pulls cameras, checks them and watches for motion."""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import BaseModel, Field

from data.core.settings.paths import PROJECT_ROOT


class StreamSettings(BaseModel):
    """The stream gateway: address, camera pulls, health, patrol, fallbacks, motion detection, demo cameras."""

    streams_host: str = Field(default="127.0.0.1", description="address of the stream gateway")
    streams_port: int = Field(default=8060, ge=1, le=65535, description="port of the stream gateway")
    streams_internal_token: str = Field(
        default_factory=lambda: secrets.token_hex(16),
        min_length=16,
        description="shared secret between the web app and the stream gateway",
    )
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
    streams_probe_timeout_s: float = Field(
        default=8.0, ge=1, le=60,
        description="the admin's \"test connection\" gives up on a camera that has not sent a picture after this",
    )
    streams_view_audit_window_s: float = Field(
        default=300.0, ge=0, le=86400,
        description="views of one camera by one user within this time are one audited viewing session "
                    "(a reconnecting tile, a tour coming back); 0 = every view is audited",
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

    @property
    def streams_base_url(self) -> str:
        return f"http://{self.streams_host}:{self.streams_port}"
