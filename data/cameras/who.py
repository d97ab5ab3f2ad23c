"""Who makes a change or watches a camera, as the audit log names them (data/accounts/audit.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from data.accounts import audit


@dataclass(frozen=True)
class Who:
    """A signed-in user (or a command run by an OS user) and the address the request came from."""

    user_id: int | None
    username: str | None
    source_ip: str | None = None

    def record(self, session: Session, action: str, target: str, detail: dict[str, Any] | None = None,
               at: datetime | None = None) -> None:
        """Append ``action`` on ``target`` to the audit log, in the caller's transaction (one commit for both)."""
        audit.record(session, action, user_id=self.user_id, username=self.username, target=target,
                     source_ip=self.source_ip, detail=detail, at=at)
