"""The periodic guidance jobs inside a server worker (cron can run the same CLI commands).

Every job is safe to run from several workers at once (cards move by compare-and-set), so
each gunicorn worker simply runs its own loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask

from ..extensions import db
from ..tables import utcnow
from .escalation import escalate_overdue
from .expiry import expire_cards
from .handover import ended_shifts


def escalate(app: Flask) -> None:
    escalate_overdue(utcnow(), app.config["ESCALATE_AFTER_MINUTES"])


def expire(app: Flask) -> None:
    """Host cards still open past the limit expire (before escalation looks at them)."""
    expire_cards(utcnow(), app.config["CARD_EXPIRE_AFTER_HOURS"])


def hand_over(app: Flask) -> None:
    """Open cards of hosts whose shift ended move to whoever covers the zone now."""
    ended_shifts(utcnow())


JOBS: list[Callable[[Flask], None]] = [expire, hand_over, escalate]


def start(app: Flask, interval: float, stop: threading.Event) -> threading.Thread:
    """Run every job each `interval` seconds until `stop` is set; a failing job is logged."""

    def loop() -> None:
        while not stop.wait(interval):
            for job in JOBS:
                with app.app_context():
                    try:
                        job(app)
                    except Exception:  # one bad run must not end the loop
                        app.logger.exception("scheduled job %s failed", job.__name__)
                    finally:
                        db.session.remove()

    thread = threading.Thread(target=loop, name="frontline-scheduler", daemon=True)
    thread.start()
    return thread
