"""Indicators: status rules, the leaders' board, alerts, computed KPIs and imports."""
