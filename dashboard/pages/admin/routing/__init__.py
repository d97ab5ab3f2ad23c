"""Thử định tuyến (/admin/routing): "which agency gets a report of category X in ward Y at 22:00?", answered
by the router itself (``data.reports.routing.decide``, the function the intake uses) with the rule that
decided and every rule of the category it weighed."""
