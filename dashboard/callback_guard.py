"""The one gate in front of every Dash callback: a well-formed request, from a role its page admits.

Dash serves the callbacks of every page through one URL, so a page's roles (``data.accounts.users.PAGE_ROLES``)
would hold only for its layout if nothing checked them here. A callback belongs to the page whose
prefix its output ids carry (``alerts-list`` belongs to /alerts: a page's ids start with its name), so
a new callback on a page answers to that page's roles without a line here. The ids shared by all pages
have their roles below; a callback writing an id no page and no shared prefix claims is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import reduce
from typing import Any

import dash
from dash import Output
from flask import request
from flask_login import current_user

from dashboard.auth import audit_action
from dashboard.i18n import t
from data.accounts.users import PAGE_ROLES
from data.core.errors import Forbidden, InvalidInput, IocError
from data.models import Role


@dataclass(frozen=True)
class Audience:
    """Who may run a callback: signed-in users of these roles, and visitors too when ``public``."""

    roles: frozenset[Role]
    public: bool = False

    def __and__(self, other: Audience) -> Audience:
        return Audience(self.roles & other.roles, self.public and other.public)


EVERYONE = Audience(frozenset(Role), public=True)
SIGNED_IN = Audience(frozenset(Role))

# Ids outside the pages. The router and the frame are open to anyone: each page's layout checks its
# own roles, so routing shows nothing a page would not. The public page shows what citizens may see.
SHARED_PREFIXES: dict[str, Audience] = {
    "_pages_": EVERYONE,  # Dash's page router
    "shell-": EVERYONE,  # navigation and language switch
    "public-": EVERYONE,  # the transparency page
    "live-": SIGNED_IN,  # the live feed's badge and stores
}
# Pages whose ids carry another prefix than the page's name.
PAGE_ALIASES = {"kpi-": "kpis"}


def audiences() -> dict[str, Audience]:
    """Each id prefix, and who may run a callback that writes an id with it."""
    pages = {f"{page}-": page for page in PAGE_ROLES} | PAGE_ALIASES
    return SHARED_PREFIXES | {prefix: Audience(PAGE_ROLES[page]) for prefix, page in pages.items()}


def _id_name(component_id: Any) -> str:
    """A plain id, or a pattern-matching id's ``type`` (``{"type": "alerts-row", "id": 3}``)."""
    return str(component_id.get("type", "")) if isinstance(component_id, dict) else str(component_id)


def owner_of(component_id: Any, table: Mapping[str, Audience]) -> Audience | None:
    """Who may write this id: the longest prefix that claims it decides; None when none does."""
    name = _id_name(component_id)
    claims = [prefix for prefix in table if name.startswith(prefix)]
    return table[max(claims, key=len)] if claims else None


def _declared(spec: Mapping[str, Any]) -> list[Any]:
    """A registered callback's ``Output``s (one output is registered bare, several as a list)."""
    output = spec.get("output")
    if output is None or spec.get("no_output"):
        return []
    return list(output) if isinstance(output, list | tuple) else [output]


def callback_audience(spec: Mapping[str, Any], table: Mapping[str, Audience]) -> Audience | None:
    """Who may run a registered callback: those who may write every one of its outputs."""
    owners = [owner_of(o.component_id, table) for o in _declared(spec)]
    if not owners or any(owner is None for owner in owners):
        return None
    return reduce(lambda a, b: a & b, [o for o in owners if o is not None])


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True) if request.is_json else None  # cached: Dash reads it again
    if not isinstance(body, dict):
        raise InvalidInput(t("cb.not_json"))
    return body


def _registered(app: dash.Dash, body: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    output = body.get("output")
    if not isinstance(output, str):
        raise InvalidInput(t("cb.no_output"))
    spec = app.callback_map.get(output)
    if spec is None:
        raise InvalidInput(t("cb.unknown").format(output=output[:200]))
    if "callback" not in spec:
        raise InvalidInput(t("cb.clientside").format(output=output[:200]))
    return output, spec


def _admit(output: str, audience: Audience | None) -> None:
    """Let the current user run the callback, or raise the refusal (401 for a visitor, else 403)."""
    if not current_user.is_authenticated:
        if audience is not None and audience.public:
            return
        raise IocError(t("login.required"), status=401, title=t("login.title"))
    if audience is not None and Role(current_user.role) in audience.roles:
        return
    audit_action("denied", target=f"callback:{output}")
    raise Forbidden(t("login.forbidden") if audience is not None else t("cb.no_owner"))


def _is_dependency(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("id"), str | dict) and isinstance(item.get("property"), str)


def _is_slot(item: Any) -> bool:
    """One input, state or output: a single dependency, or a pattern-matching ALL's list of them."""
    return _is_dependency(item) or (isinstance(item, list) and all(_is_dependency(i) for i in item))


def _names(slot: Any, declared: Output) -> bool:
    """A body's output slot names the declared output (Dash itself would answer a mismatch with a 500)."""
    items = slot if isinstance(slot, list) else [slot]
    return all(Output(i["id"], i["property"].split("@")[0]) == declared for i in items)


def _outputs_fit(outputs: Any, spec: Mapping[str, Any]) -> bool:
    declared = _declared(spec)
    if not declared:
        return True  # Dash ignores the outputs of a callback without any
    if not isinstance(spec["output"], list | tuple):  # one output travels bare, several as a list
        outputs = [outputs]
    return isinstance(outputs, list) and len(outputs) == len(declared) and all(
        _is_slot(o) and _names(o, d) for o, d in zip(outputs, declared, strict=True))


def _check_shape(body: Mapping[str, Any], spec: Mapping[str, Any]) -> None:
    """The body matches the registered callback, so Dash's dispatch cannot trip over it."""
    for field in ("inputs", "state"):
        items, count = body.get(field, [] if field == "state" else None), len(spec[field])
        if not isinstance(items, list) or len(items) != count or not all(_is_slot(i) for i in items):
            raise InvalidInput(t("cb.shape").format(field=field, count=count))
    if not _outputs_fit(body.get("outputs"), spec):
        raise InvalidInput(t("cb.outputs").format(count=len(_declared(spec))))
    for item in body["inputs"]:  # Dash's own page router trips over a path that is not text
        router_path = isinstance(item, dict) and (item["id"], item["property"]) == ("_pages_location", "pathname")
        if router_path and not isinstance(item.get("value"), str):
            raise InvalidInput(t("cb.path"))
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise InvalidInput(t("cb.changed"))


def check_callback(app: dash.Dash) -> None:
    """Before Dash runs a callback: refuse a malformed body (400) or a role its page does not admit."""
    if request.path != f"{app.config.routes_pathname_prefix}_dash-update-component":
        return
    body = _body()
    output, spec = _registered(app, body)
    _admit(output, callback_audience(spec, audiences()))
    _check_shape(body, spec)


def init_callback_guard(app: dash.Dash) -> None:
    """Guard every callback of ``app``; call after the app is built, so its callbacks are registered first."""
    app.server.before_request(lambda: check_callback(app))
