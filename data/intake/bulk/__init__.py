"""Bulk intake: another system's exported reports, mapped, checked and written in chunks."""
