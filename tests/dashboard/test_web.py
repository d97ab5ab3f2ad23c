"""The web app over HTTP (Flask test client): login, roles, the guard, the public page, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from app import create_app
from dashboard.auth import SessionUser, safe_next
from data.accounts.users import create_user
from data.core.runtime import Runtime
from data.models import Role
from data.runtime import build_runtime
from tests.dbfixtures import settings_for
from tests.logins import client_login, client_logout

PASSWORD = "mat-khau-thu-nghiem-1"


@pytest.fixture(scope="module")
def app_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'web.sqlite3'}"
    rt = build_runtime(settings_for(url))
    with rt.session() as s:
        create_user(s, "vanhanh", PASSWORD, Role.OPERATOR)
        create_user(s, "donvi", PASSWORD, Role.AGENCY)
    yield rt
    rt.close()


@pytest.fixture(scope="module")
def client(app_runtime: Runtime) -> FlaskClient:
    app = create_app(app_runtime.settings, app_runtime)
    return app.server.test_client()


def _login(client: FlaskClient, username: str, password: str = PASSWORD) -> int:
    return client_login(client, username, password).status_code


def test_pages_need_login(client: FlaskClient) -> None:
    client_logout(client)
    for path in ("/", "/map", "/cameras", "/reports", "/kpis"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith(f"/login?required=1&next={path}")
    assert client.get("/public").status_code == 200
    assert client.get("/login").status_code == 200
    assert client.get("/api/cameras/status").status_code == 401


def test_wrong_password_is_refused_with_a_message(client: FlaskClient) -> None:
    response = client_login(client, "vanhanh", "sai-mat-khau-123")
    assert response.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in response.get_data(as_text=True)
    unknown = client_login(client, "khong-co", "sai-mat-khau-123")
    assert unknown.status_code == 401


def test_login_then_pages_open(client: FlaskClient) -> None:
    assert _login(client, "vanhanh") == 302
    for path in ("/", "/map", "/cameras", "/reports", "/kpis", "/public"):
        assert client.get(path).status_code == 200
    client_logout(client)
    assert client.get("/").status_code == 302


def _callback_body(output_id: str) -> str:
    return json.dumps({"output": f"{output_id}.children", "outputs": {"id": output_id, "property": "children"},
                       "inputs": [], "changedPropIds": []})


def test_anonymous_callbacks_only_reach_the_public_page(client: FlaskClient) -> None:
    client_logout(client)
    refused = client.post("/_dash-update-component", data=_callback_body("overview-body"),
                          content_type="application/json")
    assert refused.status_code == 401
    assert refused.get_json()["ok"] is False
    allowed = client.post("/_dash-update-component", data=_callback_body("public-found"),
                          content_type="application/json")
    assert allowed.status_code != 401


def test_language_cookie_switches_texts(client: FlaskClient) -> None:
    client.get("/lang/en?next=/login")
    assert "Log in to the IOC" in client.get("/login").get_data(as_text=True)
    client.get("/lang/vi?next=/login")
    assert "Đăng nhập hệ thống IOC" in client.get("/login").get_data(as_text=True)


def test_no_open_redirects() -> None:
    assert safe_next("//evil.example/x") == "/"
    assert safe_next("https://evil.example/") == "/"
    assert safe_next("/reports?x=1") == "/reports?x=1"


def test_roles_decide_pages_and_sealed_fields() -> None:
    agency = SessionUser(1, "donvi", "Đơn vị", Role.AGENCY, 3)
    operator = SessionUser(2, "vanhanh", "Vận hành", Role.OPERATOR, None)
    # Agency staff open the wall, which shows them only the camera groups granted to them (data/cameras/access.py).
    assert agency.may_open("cameras") and agency.may_open("reports") and not agency.may_open("admin")
    assert operator.may_open("cameras") and not operator.may_open("admin")
    assert operator.sees_reporter and not agency.sees_reporter


def test_offline_tiles_and_local_bootstrap(client: FlaskClient) -> None:
    tile = client.get("/tiles/13/6500/3700.png")
    assert tile.status_code == 200 and tile.data[:8] == b"\x89PNG\r\n\x1a\n"
    css = client.get("/vendor/bootstrap5/css/bootstrap.min.css")
    assert css.status_code == 200 and b"Bootstrap" in css.data[:200]


def test_every_page_layout_renders_for_each_role(client: FlaskClient, app_runtime: Runtime) -> None:
    """Build each page's layout as the Dash router would, logged in as each role."""
    import dash
    from flask_login import login_user

    from dashboard.auth import session_user_of
    from data.models import User

    with app_runtime.session() as s:
        users = {u.username: session_user_of(u) for u in s.query(User).all()}
    app = client.application
    for username, user in users.items():
        for page in dash.page_registry.values():
            with app.test_request_context(page["path"]):
                login_user(user)
                rendered = page["layout"]()
                assert rendered is not None, (username, page["path"])
                text = str(rendered)
                if page["name"] == "cameras" and username == "donvi":
                    assert "Chưa có camera nào" in text  # no group granted to this agency: an empty wall
                if page["name"] == "admin-cameras" and username in ("donvi", "vanhanh"):
                    assert "không có quyền" in text
