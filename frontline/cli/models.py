"""`frontline models train|card|score`: train the analytic models and refresh stored facts.

The job modules load pandas and scikit-learn, so they are imported inside the commands:
other commands (and the web app) do not pay for them.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup

from models.errors import ModelError

from ..scoring.store import MODEL_NAMES, load_current


@click.group(cls=AppGroup, help="Analytic models: train them, show their cards, store facts.")
def models() -> None:
    pass


@models.command("train")
@click.argument("name", required=False, type=click.Choice(MODEL_NAMES))
@click.option("--if-missing", is_flag=True, help="Skip models that already have a usable version.")
def train(name: str | None, if_missing: bool) -> None:
    """Train NAME (default: all) on the database and make it current."""
    from ..scoring import jobs

    failed = []
    for model in [name] if name else MODEL_NAMES:
        version = jobs.usable_version(model) if if_missing else None
        if version:
            click.echo(f"{model}: {version} is current; not retrained.")
        elif not _train_one(jobs, model):
            failed.append(model)
    if failed:
        raise click.exceptions.Exit(1)


def _train_one(jobs, name: str) -> bool:
    started = time.perf_counter()
    try:
        trained = jobs.train(name, progress=lambda line: click.echo(f"  {line}"))
    except ModelError as error:
        click.echo(f"Error: {name} not trained: {error}. The last good model stays current.")
        return False
    click.echo(f"{name}: saved {trained.version} ({time.perf_counter() - started:.1f}s)")
    for problem in jobs.baseline_shortfalls(trained.card):
        click.echo(f"  warning: no better than the naive baseline on {problem}")
    return True


@models.command("card")
@click.argument("name", type=click.Choice(MODEL_NAMES))
def card(name: str) -> None:
    """Print the model card of the current NAME: data, versions, holdout metrics."""
    from models.registry import card_text

    from ..scoring.jobs import baseline_shortfalls

    try:
        trained = load_current(current_app.config["MODEL_DIR"], name)
    except ModelError as error:
        raise click.ClickException(str(error)) from None
    click.echo(card_text(trained.card))
    problems = baseline_shortfalls(trained.card)
    if problems:
        click.echo("baseline check  NO better than the naive baseline on " + "; ".join(problems))
    else:
        click.echo("baseline check  beats the naive baseline on every holdout metric checked")


@models.command("score")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help="Score as of this day (UTC).")
def score(as_of: datetime | None) -> None:
    """Refresh the stored guest and flight facts with the current models."""
    from ..scoring import jobs

    moment = as_of.replace(tzinfo=UTC) if as_of else None
    report, failures = jobs.ScoreReport(), []
    for part in (jobs.score_guests, jobs.score_flights):  # one missing model stops only its part
        try:
            part(moment, report)
        except ModelError as error:
            failures.append(str(error))
    for what, count in report.counts.items():
        click.echo(f"  {what:<24} {count:>7,}")
    for what, count in report.skipped.items():
        if count:
            click.echo(f"  skipped {what}: {count:,}")
    click.echo(f"Scored in {report.seconds:.1f}s with {', '.join(report.versions.values())}.")
    for problem in failures:
        click.echo(f"Error: {problem}")
    if failures:
        raise click.exceptions.Exit(1)
