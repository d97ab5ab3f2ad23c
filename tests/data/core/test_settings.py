"""Settings: defaults work with no setup; a bad value stops start-up naming the field."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from data.core.errors import ConfigError
from data.core.settings import load_settings
from tests.conftest import ROOT


def test_defaults_are_embedded_sqlite() -> None:
    settings = load_settings()
    assert settings.database_url.startswith("sqlite:///")
    assert settings.embedded


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("port", 70000, "IOC_PORT"),
        ("database_url", "mysql://x", "IOC_DATABASE_URL"),
        ("redis_url", "http://localhost", "IOC_REDIS_URL"),
        ("admin_password", "short", "IOC_ADMIN_PASSWORD"),
    ],
)
def test_bad_setting_names_the_field(field: str, value: object, named: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(**{field: value})
    assert named in err.value.message


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "IOC_RUN_STREAMS": "false", "IOC_DEMO": "false", **env}
    return subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=full, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.integration  # starts app.py as a process
def test_unreachable_database_is_one_clear_line(tmp_path: object) -> None:
    done = _start({"IOC_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/nowhere"})
    assert done.returncode == 2
    assert done.stderr.startswith("error: Cannot reach the database")
    assert "IOC_DATABASE_URL" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


@pytest.mark.integration  # starts app.py as a process
def test_unreachable_redis_is_one_clear_line(tmp_path: object) -> None:
    done = _start({"IOC_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
                   "IOC_REDIS_URL": "redis://127.0.0.1:1/0"})
    assert done.returncode == 2
    assert "Cannot reach Redis" in done.stderr and "IOC_REDIS_URL" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.integration  # starts app.py as a process
def test_invalid_setting_from_environment_stops_start_up() -> None:
    done = _start({"IOC_PORT": "not-a-port"})
    assert done.returncode == 2
    assert "IOC_PORT" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.integration  # starts app.py as a process
def test_busy_gateway_port_is_one_clear_line(tmp_path: object) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = _start({"IOC_DATABASE_URL": f"sqlite:///{tmp_path}/g.sqlite3", "IOC_RUN_STREAMS": "true",
                       "IOC_STREAMS_PORT": str(port), "IOC_RUN_WORKERS": "false"})
    assert done.returncode == 2
    assert "IOC_STREAMS_PORT" in done.stderr and "Traceback" not in done.stderr


def test_public_base_url_follows_host_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IOC_PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("IOC_PORT", "9100")
    assert load_settings().public_base_url == "http://127.0.0.1:9100"  # links in replies reach this app
    assert load_settings(host="10.1.2.3").public_base_url == "http://10.1.2.3:9100"
    assert load_settings(host="0.0.0.0").public_base_url == "http://127.0.0.1:9100"  # a wildcard is no address
    assert load_settings(host="::1").public_base_url == "http://[::1]:9100"
    monkeypatch.setenv("IOC_PUBLIC_BASE_URL", "https://ioc.hue.gov.vn")
    assert load_settings().public_base_url == "https://ioc.hue.gov.vn"  # set: taken as it is
