"""Settings of sign-in: the first admin and how long a session lives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, Field


@dataclass(frozen=True)
class Lifetimes:
    """How long a sign-in session lives: since its last use (idle) and since its login (absolute)."""

    idle: timedelta
    absolute: timedelta


class AccountSettings(BaseModel):
    """Sign-in: the first admin, and how long a session lives."""

    admin_username: str | None = Field(default=None, description="create this admin at start-up if missing")
    admin_password: str | None = Field(
        default=None, min_length=10, description="its password (used only when the admin is created)"
    )
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

    @property
    def session_lifetimes(self) -> Lifetimes:
        return Lifetimes(idle=timedelta(minutes=self.session_idle_minutes),
                         absolute=timedelta(hours=self.session_max_hours))
