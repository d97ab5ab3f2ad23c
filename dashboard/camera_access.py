"""The signed-in user as the camera code sees them: which cameras they may see, and who they are in the audit log."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from data.cameras.access import NOTHING, CameraScope, scope_of
from data.cameras.who import Who
from data.core.runtime import Runtime


def viewer_cameras(runtime: Runtime) -> CameraScope:
    """The cameras the signed-in user may see (data.cameras.access); none for a visitor."""
    if not current_user.is_authenticated:
        return NOTHING
    with runtime.session() as session:
        return scope_of(session, int(current_user.id))


def who() -> Who:
    """The signed-in user and the address of this request, for the audit log."""
    user_id = int(current_user.id) if current_user.is_authenticated else None
    return Who(user_id, getattr(current_user, "username", None), request.remote_addr)
