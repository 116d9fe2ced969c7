"""`frontline demo load`: the demo world, generated from a seed."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from .. import demo as world


@click.group(cls=AppGroup, help="The demo world: a casino resort and a cargo airline.")
def demo() -> None:
    pass


@demo.command("load")
@click.option("--seed", default=42, show_default=True, help="The same seed gives the same world.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Anchor date (default: today).")
@click.option("--if-missing", is_flag=True, help="Succeed quietly when the demo is already loaded.")
def load(seed: int, today, if_missing: bool) -> None:
    """Generate the demo world into an empty database, all or nothing."""
    if if_missing and world.is_loaded():
        click.echo("Demo world already loaded; nothing to do.")
        print_logins(world.people.LOGINS)
        return
    reason = world.refusal()
    if reason:
        raise click.ClickException(reason)
    anchor: date | None = today.date() if today else None
    click.echo(f"Generating the demo world (seed {seed})...")
    summary = world.load(seed=seed, today=anchor)
    for table, count in summary.counts.items():
        click.echo(f"  {table:<18} {count:>7,}")
    print_logins(world.people.LOGINS)


def print_logins(logins) -> None:
    click.echo(f"Demo logins (password: {world.people.DEMO_PASSWORD}):")
    for email, name, role, _authority in logins:
        click.echo(f"  {email:<20} {role:<8} {name}")
