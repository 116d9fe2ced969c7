"""`frontline guidance escalate|expire|refresh`: the periodic jobs of the guidance loop."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ..cargo.refresh import refresh as refresh_outlook
from ..casino.escalation import escalate_overdue
from ..casino.expiry import expire_cards
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


@guidance.command("expire")
def expire() -> None:
    """Expire host cards still open past FRONTLINE_CARD_EXPIRE_HOURS: the visit is over."""
    hours = current_app.config["CARD_EXPIRE_AFTER_HOURS"]
    expired = expire_cards(utcnow(), hours)
    click.echo(f"Expired {expired} host card(s) still open {hours:g} h after they came in.")


@guidance.command("refresh")
def refresh() -> None:
    """Re-evaluate the reps' outlook (flights, accounts, lanes) and push new cards."""
    report = refresh_outlook(utcnow())
    parts = ", ".join(f"{n} {kind}" for kind, n in sorted(report.issued.items())) or "none"
    seen = sum(report.evaluated.values())
    click.echo(f"Evaluated {seen} subject(s); issued {report.total} card(s): {parts}.")
