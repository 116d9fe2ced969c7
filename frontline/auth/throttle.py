"""Slow down password guessing: failures are counted in the database, so every worker agrees."""

from __future__ import annotations

import math
from datetime import timedelta

from flask import current_app

from ..extensions import db
from ..tables import LoginAttempt, utcnow


def retry_after_minutes(email: str) -> int:
    """Minutes until this e-mail may try again; 0 when it may try now."""
    window = timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
    count, oldest = LoginAttempt.failures_since(email, utcnow() - window)
    if count < current_app.config["LOGIN_MAX_FAILURES"] or oldest is None:
        return 0
    return max(1, math.ceil((oldest + window - utcnow()).total_seconds() / 60))


def record_failure(email: str, remote_addr: str) -> None:
    db.session.add(LoginAttempt(email=email, remote_addr=remote_addr[:64]))
    db.session.commit()
