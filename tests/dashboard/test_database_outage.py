"""While the database is down every door answers 503 with Retry-After, and all recovers by itself.

The database is a PRIVATE PostgreSQL this test creates (initdb + pg_ctl in a temporary directory, as
the ``postgres`` user when the test runs as root), stops and starts again: never the shared server
other tests use. The app is the real Flask app on a real HTTP server in this process.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from glob import glob
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from app import create_app
from data.accounts.apikeys import create_api_key
from data.runtime import build_runtime
from tests.browser import ADMIN, free_port
from tests.data.intake.test_open311 import INSIDE, _seed
from tests.dbfixtures import settings_for
from tests.logins import session_login

HTML = {"Accept": "text/html,application/xhtml+xml"}


def _pg_binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        pytest.fail(f"PostgreSQL's {name} is required (apt-get install postgresql)", pytrace=False)
    return found


@dataclass
class PrivatePostgres:
    """A PostgreSQL server of this test's own, on a free port; ``stop``/``start`` are a real outage."""

    root: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://root@127.0.0.1:{self.port}/ioc"

    def _run(self, *args: str) -> None:
        # initdb refuses to run as root: the server's files belong to the postgres user then.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout}\n{done.stderr}"

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        self._run(_pg_binary("initdb"), "-D", str(self.root / "data"), "-A", "trust", "-U", "root", "-E", "UTF8",
                  "--no-sync")
        self.start()
        admin = create_engine(f"postgresql+psycopg://root@127.0.0.1:{self.port}/postgres",
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE ioc"))
        admin.dispose()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(_pg_binary("pg_ctl"), "-D", str(self.root / "data"), "-o", options, "-l",
                  str(self.root / "server.log"), "-w", "-t", "120", "start")

    def stop(self) -> None:
        self._run(_pg_binary("pg_ctl"), "-D", str(self.root / "data"), "-m", "fast", "-w", "-t", "120", "stop")


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    # Not pytest's tmp_path: the postgres user must reach the directory, and root's pytest dirs are 0700.
    root = Path(tempfile.mkdtemp(prefix="ioc-private-pg-"))
    server = PrivatePostgres(root, free_port())
    try:
        server.create()
        yield server
    finally:
        if (root / "data" / "postmaster.pid").exists():
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class App:
    base: str
    session: requests.Session  # logged in as the admin
    api_key: str  # Open311 client
    sensor_key: str  # a sensor station's device key
    form_token: str  # a token of the public form, as its page hands one out

    def doors(self) -> dict[str, Callable[[], requests.Response]]:
        """Every kind of entrance: pages, Dash callbacks, Open311, the public form, the APIs, the login."""
        session, base = self.session, self.base
        report = {"api_key": self.api_key, "service_code": "rac-thai", "description": "Rác ứ đọng", **INSIDE}
        callback = {"output": "overview-body.children", "outputs": {"id": "overview-body", "property": "children"},
                    "inputs": [{"id": "overview-tick", "property": "n_intervals", "value": 1},
                               {"id": "overview-live", "property": "data", "value": None}],
                    "changedPropIds": ["overview-tick.n_intervals"]}
        return {
            "page": lambda: session.get(f"{base}/reports", headers=HTML, allow_redirects=False, timeout=30),
            "dash callback": lambda: session.post(f"{base}/_dash-update-component", json=callback, timeout=30),
            "open311 services": lambda: requests.get(f"{base}/open311/v2/services.json", timeout=30),
            "open311 post": lambda: requests.post(f"{base}/open311/v2/requests.json", data=report, timeout=30),
            "form page": lambda: requests.get(f"{base}/phan-anh", headers=HTML, timeout=30),
            "form post": lambda: requests.post(f"{base}/phan-anh", headers=HTML, timeout=30, data={
                "token": self.form_token, "description": "Đèn đường hỏng", "category": "den-duong",
                "lat": INSIDE["lat"], "lon": INSIDE["long"]}),
            "camera api": lambda: session.get(f"{base}/api/cameras/status", timeout=30),
            "sensor api": lambda: requests.post(f"{base}/api/sensors/readings", json=[], timeout=30,
                                                headers={"X-API-Key": self.sensor_key}),
            "login": lambda: session_login(requests.Session(), base, *ADMIN),  # a new browser: page, then post
        }


def _login(base: str) -> requests.Session:
    session = requests.Session()
    answer = session_login(session, base, *ADMIN)
    assert answer.status_code == 302, answer.text
    return session


@pytest.fixture
def app(private_pg: PrivatePostgres, tmp_path: Path) -> Iterator[App]:
    settings = settings_for(private_pg.url, upload_dir=tmp_path / "uploads", admin_username=ADMIN[0],
                            admin_password=ADMIN[1])
    runtime = build_runtime(settings)
    _seed(runtime)
    with runtime.session() as s:
        _, api_key = create_api_key(s, "open311 client")
        _, sensor_key = create_api_key(s, "trạm quan trắc", channel="sensors")
    dash_app = create_app(settings, runtime)
    port = free_port()
    server = make_server("127.0.0.1", port, dash_app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    try:
        form = requests.get(f"{base}/phan-anh", timeout=30).text
        token = re.search(r'name="token" id="rf-token" value="([^"]+)"', form)
        assert token is not None, form[:2000]
        yield App(base, _login(base), api_key, sensor_key, token.group(1))
    finally:
        server.shutdown()
        runtime.close()


def test_every_door_answers_503_with_retry_after_while_the_database_is_down(app: App,
                                                                          private_pg: PrivatePostgres) -> None:
    doors = app.doors()
    healthy = {name: door().status_code for name, door in doors.items()}
    assert all(status < 500 for status in healthy.values()), healthy
    assert requests.get(f"{app.base}/healthz", timeout=30).status_code == 200

    private_pg.stop()
    answers = {name: door() for name, door in doors.items()}
    wrong = {name: (a.status_code, a.headers.get("Retry-After"), a.text[:200]) for name, a in answers.items()
             if a.status_code != 503 or not a.headers.get("Retry-After", "").isdigit()}
    assert wrong == {}
    # Each in its own door's format, with a message a person can act on (try again later).
    assert answers["open311 post"].json()[0]["code"] == 503
    assert answers["sensor api"].json()["ok"] is False
    assert answers["camera api"].json()["ok"] is False
    assert "text/html" in answers["page"].headers["Content-Type"]
    assert "Cơ sở dữ liệu tạm thời không truy cập được" in answers["form page"].text
    health = requests.get(f"{app.base}/healthz", timeout=30)
    assert health.status_code == 503 and health.headers["Retry-After"].isdigit()
    assert health.json()["down"] == ["database"]

    private_pg.start()  # and nothing else: no restart of the app
    deadline = time.monotonic() + 120
    while requests.get(f"{app.base}/healthz", timeout=30).status_code != 200:
        assert time.monotonic() < deadline, "the app did not see the database come back"
        time.sleep(0.5)
    back = {name: door().status_code for name, door in doors.items()}
    # The same answers as before the outage (the form's second post of one token is its first's receipt: 200).
    assert {name: status // 100 for name, status in back.items()} == {n: s // 100 for n, s in healthy.items()}
