"""The one settings object: every knob of the IOC, read from the environment (prefix ``IOC_``).

``Settings`` is composed of one mixin per area (server, accounts, demo, map, reports, channels,
monitoring, KPIs, streams), so each area's knobs sit beside each other in a module of their own;
the docs' settings reference (``docs/hooks/settings_reference.py``) is generated from these fields,
one section per mixin, and a test fails when a field has no description.
"""

from __future__ import annotations

from pydantic import BaseModel, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from data.core.errors import ConfigError
from data.core.settings.accounts import AccountSettings, Lifetimes
from data.core.settings.channels import ChannelSettings
from data.core.settings.demo import DemoSettings
from data.core.settings.kpis import KpiSettings
from data.core.settings.map import MapSettings
from data.core.settings.monitoring import MonitoringSettings
from data.core.settings.paths import PROJECT_ROOT
from data.core.settings.reports import ReportSettings
from data.core.settings.server import ServerSettings, local_base_url
from data.core.settings.streams import StreamSettings

__all__ = ["AREAS", "PROJECT_ROOT", "ConfigError", "Lifetimes", "Settings", "load_settings", "local_base_url"]

# The areas in the order the settings reference lists them.
AREAS: tuple[type[BaseModel], ...] = (ServerSettings, AccountSettings, DemoSettings, MapSettings, ReportSettings,
                           ChannelSettings, MonitoringSettings, KpiSettings, StreamSettings)


class Settings(ServerSettings, AccountSettings, DemoSettings, MapSettings, ReportSettings,
               ChannelSettings, MonitoringSettings, KpiSettings, StreamSettings, BaseSettings):
    """Configuration of one IOC deployment. Every field has a safe default for the embedded mode."""

    model_config = SettingsConfigDict(
        env_prefix="IOC_", env_file=".env", env_file_encoding="utf-8", extra="forbid"
    )


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; a bad value raises ConfigError naming the field."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"IOC_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"Invalid settings: {problems}") from None
