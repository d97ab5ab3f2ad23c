"""Logging in and out from tests as a browser does: read the form's CSRF token, post it back.

One place for it, so every test that signs in over HTTP (Flask test client or ``requests``) follows
the login form when it changes. Chromium pages use ``tests.browser.login``.
"""

from __future__ import annotations

import re
from typing import Any

import requests
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

TOKEN_FIELD = "csrf_token"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')


def form_token(html: str) -> str:
    """The CSRF token a page's form carries ("" when it has none)."""
    found = _TOKEN.search(html)
    return found.group(1) if found else ""


def client_login(client: FlaskClient, username: str, password: str, **kwargs: Any) -> TestResponse:
    """Open the login page and post the form, token included, with the Flask test client."""
    token = form_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, TOKEN_FIELD: token}, **kwargs)


def client_logout(client: FlaskClient) -> TestResponse:
    """Press the navbar's "log out" button: a POST with the token of the page it sits on."""
    token = form_token(client.get("/logout").get_data(as_text=True))
    return client.post("/logout", data={TOKEN_FIELD: token})


def session_login(session: requests.Session, base_url: str, username: str, password: str) -> requests.Response:
    """The same over real HTTP with ``requests`` (the session keeps the cookie); not redirected."""
    token = form_token(session.get(f"{base_url}/login", timeout=30).text)
    return session.post(f"{base_url}/login", data={"username": username, "password": password, TOKEN_FIELD: token},
                        allow_redirects=False, timeout=30)


def session_logout(session: requests.Session, base_url: str) -> requests.Response:
    token = form_token(session.get(f"{base_url}/logout", timeout=30).text)
    return session.post(f"{base_url}/logout", data={TOKEN_FIELD: token}, allow_redirects=False, timeout=30)
