"""Slow down password guessing without handing a stranger the power to lock people out.

Failures are counted in the database (every worker agrees), three ways:
- this client address on this account: LOGIN_MAX_FAILURES in LOGIN_LOCKOUT_MINUTES (the usual
  typo-then-wait; someone else's guesses elsewhere never lock the host's own phone);
- this client address on any account: LOGIN_MAX_CLIENT_FAILURES in the same window (spraying);
- this account from everywhere: LOGIN_MAX_ACCOUNT_FAILURES in LOGIN_ACCOUNT_WINDOW_MINUTES, a
  much slower limit against guesses spread over many addresses. It can still shut an account
  for a while, which is why it is high and its message says who can help.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..tables import LoginAttempt, utcnow


@dataclass(frozen=True)
class Refusal:
    minutes: int
    message: str


def refusal(email: str, remote_addr: str) -> Refusal | None:
    """Why this sign-in may not be tried now, with what to do; None when it may."""
    config, now = current_app.config, utcnow()
    window = timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
    account_window = timedelta(minutes=config["LOGIN_ACCOUNT_WINDOW_MINUTES"])
    limits = [
        (
            config["LOGIN_MAX_FAILURES"], window,
            (LoginAttempt.email == email, LoginAttempt.remote_addr == remote_addr),
            "Too many failed sign-ins for {email} from this device. Try again in {wait} "
            "minute(s), or ask an admin to reset your password if you have forgotten it.",
        ),
        (
            config["LOGIN_MAX_CLIENT_FAILURES"], window,
            (LoginAttempt.remote_addr == remote_addr,),
            "Too many failed sign-ins from this device. Try again in {wait} minute(s).",
        ),
        (
            config["LOGIN_MAX_ACCOUNT_FAILURES"], account_window,
            (LoginAttempt.email == email,),
            "Too many failed sign-ins for {email} from several places. Try again in {wait} "
            "minute(s), and tell an admin: someone may be guessing this account's password.",
        ),
    ]  # fmt: skip
    for limit, span, where, message in limits:
        count, oldest = _failures(where, now - span)
        if count >= limit and oldest is not None:
            wait = max(1, math.ceil((oldest + span - now).total_seconds() / 60))
            return Refusal(wait, message.format(email=email, wait=wait))
    return None


def _failures(where: tuple, since: datetime) -> tuple[int, datetime | None]:
    query = select(func.count(), func.min(LoginAttempt.at)).where(*where, LoginAttempt.at >= since)
    count, oldest = db.session.execute(query).one()
    return count, oldest


def record_failure(email: str, remote_addr: str) -> None:
    db.session.add(LoginAttempt(email=email, remote_addr=remote_addr[:64]))
    db.session.commit()
