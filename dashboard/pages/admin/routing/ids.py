"""The routing tester's component ids; every one starts with ``admin-routing-``."""

from __future__ import annotations

CATEGORY = "admin-routing-category"
UNIT = "admin-routing-unit"
TIME = "admin-routing-time"
ANSWER = "admin-routing-answer"
AGENCY = "admin-routing-agency"  # the agency the report would go to
REASON = "admin-routing-reason"  # the rule that decided, or why none did
RULES = "admin-routing-rules"  # the category's rules, the deciding one marked
