"""Intake of citizen reports: every channel (Open311, web form, Zalo, Facebook, email, hotline, CSV)
hands a ``Submission`` to ``submit``, which validates it, commits it, and queues its processing."""

from data.intake.pipeline import Receipt, submit
from data.intake.submission import IntakeError, Submission

__all__ = ["IntakeError", "Receipt", "Submission", "submit"]
