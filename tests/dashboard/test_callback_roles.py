"""Every Dash callback answers only to the roles of the page it belongs to; a malformed body gets a 400.

The callbacks come from ``/_dash-dependencies`` and the pages from the page registry, so a callback or
a page added later is replayed here without touching this file. What a role may run is read from what
the app shows that role: the shell's layout and each page the router renders for it. A role may run a
callback when those layouts hold every output of it; then the callback must answer (200, or 204 when
it has nothing to change), else it must refuse (401 for a visitor, 403 for a signed-in account).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import dash
import pytest
from dash import ALL, Input, Output
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app import create_app
from dashboard.callback_guard import Audience, audiences, callback_audience
from data.accounts import login_guard
from data.accounts.users import PAGE_ROLES, hash_password
from data.core.runtime import Runtime
from data.models import Alert, Camera, Indicator, ReportStatus, User, utcnow
from tests.dbfixtures import fresh_pg_database, open_runtime
from tests.factories import HUE_LAT, HUE_LON, report, world
from tests.logins import client_login

PASSWORD = "mat-khau-thu-nghiem-1"
ROLES: tuple[str | None, ...] = ("operator", "leader", "analyst", "agency", "admin", None)  # None: not logged in
ACCOUNTS = {"operator": "vanhanh", "leader": "lanhdao", "analyst": "phantich", "agency": "donvi-a", "admin": "quantri"}
ROUTER = ".._pages_content.children..._pages_store.data.."
KPI_CODE = "online_pct"
PATH_SAMPLES = {"code": KPI_CODE}  # values for the variables of pages with a path template
# Query strings a user would open a page with, where they show more (the public page's found report).
SEARCHES = {"public": "?code={report}"}
BROWSER_FILLED = {"_pages_location": {"pathname": "/", "search": ""}}
INTRUDER, INTRUDER_IP = "ke-do-tham", "203.0.113.9"


@dataclass
class Site:
    """The app on a seeded database, with one signed-in client per role."""

    app: dash.Dash
    server: Flask
    own_codes: list[str]  # reports of the agency account's agency
    other_codes: list[str]  # reports of another agency
    alert_id: int  # the security alert raised by the intruder's failed logins
    resolved_code: str  # a resolved report: its public page offers rating and reopening
    clients: dict[str | None, FlaskClient] = field(default_factory=dict)

    def client(self, role: str | None) -> FlaskClient:
        if role not in self.clients:
            client = self.server.test_client()
            if role is not None:
                _login(client, ACCOUNTS[role])
            self.clients[role] = client
        return self.clients[role]


def _login(client: FlaskClient, username: str) -> None:
    answer = client_login(client, username, PASSWORD)
    assert answer.status_code == 302, (username, answer.status_code)


def _seed(runtime: Runtime) -> tuple[list[str], list[str], int, str]:
    with runtime.session() as s:
        w = world(s)
        for actor in (w.operator, w.leader, w.analyst, w.admin, w.staff_a):
            user = s.get(User, actor.user_id)
            assert user is not None
            user.password_hash = hash_password(PASSWORD)
        own = [report(s, w, agency_id=w.agency_a, title=f"Ổ gà số {n}").tracking_code for n in range(3)]
        other = [report(s, w, agency_id=w.agency_b, category_id=w.lights, title=f"Đèn hỏng số {n}").tracking_code
                 for n in range(3)]
        resolved = report(s, w, agency_id=w.agency_a, status=ReportStatus.RESOLVED, resolved_at=utcnow(),
                          published=True).tracking_code
        s.add(Camera(code="CAM-1", name="Cầu Trường Tiền", lat=HUE_LAT, lon=HUE_LON,
                     stream_url="rtsp://admin:secret@10.0.0.9/1"))
        s.add(Indicator(code=KPI_CODE, name="Tỷ lệ hồ sơ trực tuyến", name_en="Applications filed online",
                        theme="public_services", unit="%", frequency="month", direction="up", target=80.0))
        for _ in range(login_guard.FAILURES_MAX):  # the fifth raises a security alert naming account and address
            login_guard.failed(s, login_guard.reserve(s, INTRUDER, INTRUDER_IP))
        alert_id = s.scalar(select(Alert.id).where(Alert.kind == "security"))
        assert alert_id is not None
    return own, other, alert_id, resolved


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('roles') / 'ioc.sqlite3'}"
        else:
            url = stack.enter_context(fresh_pg_database())
        runtime = stack.enter_context(open_runtime(url))
        own, other, alert_id, resolved = _seed(runtime)
        app = create_app(runtime.settings, runtime)
        yield Site(app, app.server, own, other, alert_id, resolved)


# --- reading layouts ---------------------------------------------------------------------------


def _id_key(ident: Any) -> str:
    return json.dumps(ident, sort_keys=True, separators=(",", ":")) if isinstance(ident, dict) else str(ident)


def _components(tree: Any) -> Iterator[tuple[Any, dict[str, Any]]]:
    """(id, props) of every component with an id in a layout as Dash serialises it."""
    if isinstance(tree, list):
        for item in tree:
            yield from _components(item)
    elif isinstance(tree, dict):
        props = tree.get("props") if "type" in tree and "namespace" in tree else None
        if isinstance(props, dict):
            if "id" in props:
                yield props["id"], props
            tree = props
        for value in tree.values():
            yield from _components(value)


def _page_urls(report_code: str) -> dict[str, tuple[str, str]]:
    """Each page's (path, query string)."""
    paths = {}
    for page in dash.page_registry.values():
        template = page.get("path_template")
        if template:
            names = re.findall(r"<(\w+)>", template)
            assert all(n in PATH_SAMPLES for n in names), f"add a sample value for {names} of {template}"
            path = re.sub(r"<(\w+)>", lambda m: PATH_SAMPLES[m.group(1)], template)
        else:
            path = page["path"]
        paths[page["name"]] = (path, SEARCHES.get(page["name"], "").format(report=report_code))
    return paths


@dataclass
class View:
    """What one role is shown: the shell and each page, as lists of (id, props)."""

    shell: list[tuple[Any, dict[str, Any]]]
    pages: dict[str, list[tuple[Any, dict[str, Any]]]]

    def owner(self, output_ids: list[str]) -> str | None:
        """The page (or "shell") whose layout holds every one of these ids, if one does."""
        for name, parts in [("shell", self.shell), *self.pages.items()]:
            held = {_id_key(i) for i, _ in parts}
            if all(o in held for o in output_ids):
                return name
        return None


def _view(site: Site, deps: list[dict[str, Any]], role: str | None) -> View:
    client = site.client(role)
    shell = list(_components(client.get("/_dash-layout").get_json()))
    router = next(d for d in deps if d["output"] == ROUTER)
    pages = {}
    for name, (path, search) in _page_urls(site.resolved_code).items():
        location = {"_pages_location": {"pathname": path, "search": search}}
        answer = client.post("/_dash-update-component", json=_body(router, location))
        assert answer.status_code == 200, (role, path, answer.status_code, answer.get_data(as_text=True)[:300])
        pages[name] = list(_components(answer.get_json()["response"]["_pages_content"]["children"]))
    return View(shell, pages)


# --- replaying callbacks -----------------------------------------------------------------------


def _outputs(output: str) -> list[dict[str, str]]:
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    found = []
    for part in parts:
        ident, prop = part.split("@")[0].rsplit(".", 1)
        assert not ident.startswith("{"), f"the replay knows no pattern-matching output ({output})"
        found.append({"id": ident, "property": prop})
    return found


def _output_ids(dep: dict[str, Any]) -> list[str]:
    return [o["id"] for o in _outputs(dep["output"])]


def _dependency(dep: dict[str, str], values: dict[str, dict[str, Any]],
                listing: list[tuple[Any, dict[str, Any]]]) -> Any:
    prop = dep["property"]
    if not dep["id"].startswith("{"):
        item: dict[str, Any] = {"id": dep["id"], "property": prop}
        if prop in values.get(dep["id"], {}):
            item["value"] = values[dep["id"]][prop]
        return item
    pattern = json.loads(dep["id"])
    assert all(v == ["ALL"] for v in pattern.values() if isinstance(v, list)), f"the replay knows only ALL: {dep}"
    fixed = {k: v for k, v in pattern.items() if not isinstance(v, list)}
    return [{"id": ident, "property": prop, "value": props.get(prop)} for ident, props in listing
            if isinstance(ident, dict) and ident.keys() == pattern.keys()
            and all(ident[k] == v for k, v in fixed.items())]


def _body(dep: dict[str, Any], values: dict[str, dict[str, Any]],
          listing: list[tuple[Any, dict[str, Any]]] | None = None) -> dict[str, Any]:
    """The request Dash's renderer sends for ``dep``, its first plain input being the trigger."""
    listing = listing or []
    outputs = _outputs(dep["output"])
    plain = [d for d in dep["inputs"] if not d["id"].startswith("{")]
    return {
        "output": dep["output"],
        "outputs": outputs if dep["output"].startswith("..") else outputs[0],
        "inputs": [_dependency(d, values, listing) for d in dep["inputs"]],
        "state": [_dependency(d, values, listing) for d in dep["state"]],
        "changedPropIds": [f"{d['id']}.{d['property']}" for d in plain[:1]],
    }


def _values(listing: list[tuple[Any, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Each plain id's props, as the browser holds them (it fills the router's location itself)."""
    return {i: props for i, props in listing if isinstance(i, str)} | BROWSER_FILLED


def _dependencies(site: Site) -> list[dict[str, Any]]:
    deps: list[dict[str, Any]] = site.client("admin").get("/_dash-dependencies").get_json()
    return deps


def _server_callbacks(deps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in deps if not d.get("clientside_function")]


def test_every_callback_answers_only_the_roles_of_its_page(site: Site) -> None:
    deps = _dependencies(site)
    server_side = _server_callbacks(deps)
    assert len(server_side) >= 30, len(server_side)
    views = {role: _view(site, deps, role) for role in ROLES}
    admin = views["admin"]
    homeless = [d["output"] for d in server_side if admin.owner(_output_ids(d)) is None]
    assert not homeless, f"callbacks whose outputs no page shows, even to an admin: {homeless}"
    wrong, answered = [], 0
    for role in ROLES:
        client = site.client(role)
        for dep in server_side:
            owner = views[role].owner(_output_ids(dep))
            allowed = owner is not None
            page = owner or admin.owner(_output_ids(dep))
            shown = (views[role] if allowed else admin)
            listing = shown.shell + (shown.pages.get(page or "", []) if page != "shell" else [])
            answer = client.post("/_dash-update-component", json=_body(dep, _values(listing), listing))
            status = answer.status_code
            if allowed and status == 200:
                answered += 1
                response = answer.get_json()["response"]
                assert set(response) <= set(_output_ids(dep)), (role, dep["output"], set(response))
            expected = (200, 204) if allowed else ((401,) if role is None else (403,))
            if status not in expected:
                wrong.append(f"{role or 'anonymous'} on {page}: {dep['output'][:90]} -> {status}, expected {expected}: "
                             f"{answer.get_data(as_text=True)[:160]}")
            elif not allowed:
                assert answer.get_json()["ok"] is False
    assert not wrong, "\n".join(wrong)
    assert answered >= 20, answered  # the allowed replays really ran and drew something


def _call(site: Site, role: str | None, output: str, values: dict[str, dict[str, Any]]) -> Any:
    dep = next(d for d in _dependencies(site) if d["output"] == output)
    return site.client(role).post("/_dash-update-component", json=_body(dep, values))


def test_alert_list_and_detail_refuse_agency_and_analyst(site: Site) -> None:
    """The security alert names the account and the address it came from: only the alert roles read it."""
    filters = {"alerts-filter-status": {"value": "all"}, "alerts-filter-severity": {"value": ""},
               "alerts-selected": {"data": site.alert_id}}
    for role in ("operator", "leader", "admin"):
        for output in ("alerts-list.children", "alerts-detail.children"):
            answer = _call(site, role, output, filters)
            assert answer.status_code == 200, (role, output)
            assert INTRUDER in answer.get_data(as_text=True) and INTRUDER_IP in answer.get_data(as_text=True)
    for role in ("agency", "analyst"):
        for output in ("alerts-list.children", "alerts-detail.children"):
            answer = _call(site, role, output, filters)
            text = answer.get_data(as_text=True)
            assert answer.status_code == 403, (role, output, answer.status_code)
            assert INTRUDER not in text and INTRUDER_IP not in text
            assert answer.get_json()["ok"] is False


def test_wall_incident_poll_tells_agency_nothing_and_refuses_analyst(site: Site) -> None:
    """Agency staff may open the wall (their granted cameras), but the pop-on-alert would tell them of
    alerts and reports they may not read: the poll answers them with nothing; analysts may not run it."""
    output = "..cameras-seen.data...cameras-pop-event.data.."
    values = {"cameras-poll": {"n_intervals": 1}, "cameras-pop-enabled": {"value": True},
              "cameras-seen": {"data": {"alert": 0, "report": 0}}, "cameras-options": {"data": {"near": 300}}}
    answer = _call(site, "operator", output, values)
    assert answer.status_code == 200
    assert answer.get_json()["response"]["cameras-pop-event"]["data"]["kind"] in ("alert", "report")
    quiet = _call(site, "agency", output, values)
    assert quiet.status_code == 204, quiet.status_code
    assert "cameras-pop-event" not in quiet.get_data(as_text=True)
    refused = _call(site, "analyst", output, values)
    assert refused.status_code == 403, refused.status_code
    assert "cameras-pop-event" not in refused.get_data(as_text=True)


def test_overview_shows_agency_staff_only_their_agency_reports(site: Site) -> None:
    values = {"overview-tick": {"n_intervals": 1}}
    agency = _call(site, "agency", "overview-body.children", values)
    assert agency.status_code == 200
    text = agency.get_data(as_text=True)
    assert all(code in text for code in site.own_codes), text[:500]
    assert not any(code in text for code in site.other_codes), text[:500]
    operator = _call(site, "operator", "overview-body.children", values).get_data(as_text=True)
    assert all(code in operator for code in site.own_codes + site.other_codes)
    # The first page load draws the same body through the router, not through the callback.
    router = _call(site, "agency", ROUTER, {"_pages_location": {"pathname": "/", "search": ""}}).get_data(as_text=True)
    assert all(code in router for code in site.own_codes)
    assert not any(code in router for code in site.other_codes)


# --- malformed bodies --------------------------------------------------------------------------

GOOD = {"output": "overview-body.children", "outputs": {"id": "overview-body", "property": "children"},
        "inputs": [{"id": "overview-tick", "property": "n_intervals", "value": 1},
                   {"id": "overview-live", "property": "data", "value": None}],
        "state": [], "changedPropIds": ["overview-tick.n_intervals"]}
MULTI = "..cameras-seen.data...cameras-pop-event.data.."
MALFORMED: list[tuple[str, bytes | dict[str, Any], str]] = [
    ("not JSON", b"{output: nope", "application/json"),
    ("a JSON list", b"[1, 2]", "application/json"),
    ("JSON sent as text", json.dumps(GOOD).encode(), "text/plain"),
    ("no output", {k: v for k, v in GOOD.items() if k != "output"}, "application/json"),
    ("output not a string", GOOD | {"output": 5}, "application/json"),
    ("unknown output", GOOD | {"output": "nowhere.children"}, "application/json"),
    ("a browser-only callback", GOOD | {"output": "overview-live.data"}, "application/json"),
    ("no inputs", {k: v for k, v in GOOD.items() if k != "inputs"}, "application/json"),
    ("inputs not a list", GOOD | {"inputs": {"id": "overview-tick"}}, "application/json"),
    ("too few inputs", GOOD | {"inputs": GOOD["inputs"][:1]}, "application/json"),
    ("input without property", GOOD | {"inputs": [{"id": "overview-tick"}, GOOD["inputs"][1]]}, "application/json"),
    ("input of a wrong type", GOOD | {"inputs": [5, "x"]}, "application/json"),
    ("state not a list", GOOD | {"state": "x"}, "application/json"),
    ("outputs missing", {k: v for k, v in GOOD.items() if k != "outputs"}, "application/json"),
    ("outputs a string", GOOD | {"outputs": "overview-body"}, "application/json"),
    ("too few outputs", {"output": MULTI, "outputs": [{"id": "cameras-seen", "property": "data"}],
                         "inputs": [{"id": "a", "property": "b"}] * 2, "state": [{"id": "a", "property": "b"}] * 2},
     "application/json"),
    ("outputs of another callback", GOOD | {"outputs": {"id": "public-found", "property": "children"}},
     "application/json"),
    ("changedPropIds not a list", GOOD | {"changedPropIds": 5}, "application/json"),
    ("the page router without a path", {  # open to visitors too: Dash's router raised a TypeError (500)
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": None},
                   {"id": "_pages_location", "property": "search", "value": None}],
        "state": [], "changedPropIds": []}, "application/json"),
]


@pytest.mark.parametrize("role", ["admin", None])
def test_malformed_callback_bodies_get_400_with_a_message(site: Site, role: str | None) -> None:
    client = site.client(role)
    good = client.post("/_dash-update-component", json=GOOD)
    assert good.status_code == (200 if role else 401)
    wrong = []
    for what, body, content_type in MALFORMED:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        answer = client.post("/_dash-update-component", data=data, content_type=content_type)
        if role is None and answer.status_code == 401:
            continue  # a known callback behind the login: the visitor is told to log in before anything else
        payload = answer.get_json(silent=True) or {}
        if answer.status_code != 400 or payload.get("ok") is not False or len(payload.get("error", "")) < 20:
            wrong.append(f"{what}: {answer.status_code} {answer.get_data(as_text=True)[:120]!r}")
    assert not wrong, "\n".join(wrong)


def test_malformed_body_message_follows_the_language(site: Site) -> None:
    client = site.server.test_client()
    _login(client, ACCOUNTS["admin"])
    vi = client.post("/_dash-update-component", json=GOOD | {"output": "nowhere.children"}).get_json()["error"]
    client.set_cookie("lang", "en")
    en = client.post("/_dash-update-component", json=GOOD | {"output": "nowhere.children"}).get_json()["error"]
    assert vi != en and "nowhere.children" in vi and "nowhere.children" in en
    assert "callback" in en.lower()



# --- callbacks added later ---------------------------------------------------------------------


def test_owners_come_from_the_id_prefix_and_an_unclaimed_output_has_none() -> None:
    table = audiences()
    assert callback_audience({"output": Output("audit-new", "children")}, table) == Audience(PAGE_ROLES["audit"])
    assert callback_audience({"output": Output("imports-kpi-new", "data")}, table) == Audience(PAGE_ROLES["imports"])
    assert callback_audience({"output": Output("kpi-new", "data")}, table) == Audience(PAGE_ROLES["kpis"])
    assert callback_audience({"output": Output({"type": "alerts-row", "id": ALL}, "active")},
                             table) == Audience(PAGE_ROLES["alerts"])
    both = [Output("public-new", "children"), Output("alerts-new", "children")]  # each output's roles, at once
    assert callback_audience({"output": both}, table) == Audience(PAGE_ROLES["alerts"])
    assert callback_audience({"output": Output("public-new", "children")}, table).public  # type: ignore[union-attr]
    assert callback_audience({"output": Output("stray-new", "children")}, table) is None
    assert callback_audience({"output": [Output("map-new", "children"), Output("stray-new", "data")]}, table) is None


def test_a_new_callback_is_guarded_without_a_line_of_its_own(site: Site) -> None:
    """One on an existing page answers to that page's roles; one that no page claims is refused to all."""
    added = {"audit-added.children": "audit-added-button", "stray-added.children": "stray-added-button"}
    for output, button in added.items():
        register = site.app.callback(Output(output.split(".")[0], "children"), Input(button, "n_clicks"))
        register(lambda n: f"ran-callback {n}")
    try:
        values = {button: {"n_clicks": 1} for button in added.values()}
        assert _call(site, "admin", "audit-added.children", values).get_json()["response"] == {
            "audit-added": {"children": "ran-callback 1"}}
        assert _call(site, "operator", "audit-added.children", values).status_code == 403
        assert _call(site, None, "audit-added.children", values).status_code == 401
        for role in ("admin", "operator"):
            refused = _call(site, role, "stray-added.children", values)
            assert refused.status_code == 403 and "ran-callback" not in refused.get_data(as_text=True)
            assert "không thuộc trang nào" in refused.get_json()["error"]
        assert _call(site, None, "stray-added.children", values).status_code == 401
    finally:  # the replay above must not meet them (they sit on no page)
        for output in added:
            site.app.callback_map.pop(output)
        site.app._callback_list[:] = [c for c in site.app._callback_list if c["output"] not in added]


def test_a_visitor_cannot_borrow_the_public_page_outputs(site: Site) -> None:
    """The guard judges the callback the body's ``output`` names, never the ``outputs`` the client lists."""
    dep = next(d for d in _dependencies(site) if d["output"] == "alerts-list.children")
    body = _body(dep, {"alerts-filter-status": {"value": "all"}}) | {
        "outputs": {"id": "public-found", "property": "children"}}
    answer = site.client(None).post("/_dash-update-component", json=body)
    assert answer.status_code == 401
    assert INTRUDER not in answer.get_data(as_text=True)
