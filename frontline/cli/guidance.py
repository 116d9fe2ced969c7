"""`frontline guidance escalate|refresh`: the periodic jobs of the guidance loop."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ..guidance.escalation import escalate_overdue
from ..tables import utcnow


@click.group(cls=AppGroup, help="Periodic guidance jobs (cron or the worker scheduler runs them).")
def guidance() -> None:
    pass


@guidance.command("escalate")
def escalate() -> None:
    """Move cards nobody acknowledged in time to the next host or the shift manager."""
    minutes = current_app.config["ESCALATE_AFTER_MINUTES"]
    moved = escalate_overdue(utcnow(), minutes)
    click.echo(f"Escalated {moved} card(s) not acknowledged within {minutes} min.")
