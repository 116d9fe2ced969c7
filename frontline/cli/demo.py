"""`frontline demo load`: the demo world, generated from a seed."""

from __future__ import annotations

import os
import random
from datetime import date, timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from .. import demo as world
from ..casino.past_arrivals import log_past_arrivals
from ..demo import arrivals as live
from ..extensions import db
from ..tables import ApiToken, Evaluation, Guest, GuestTier, User, utcnow

DEMO_TOKEN = "demo-arrivals"


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
    leads = ", ".join(f"{email} ({pack} pack)" for email, pack in world.people.SIGNS_OFF.items())
    click.echo(f"Sales leads who sign off pack changes when a pack asks: {leads}")


@demo.command("arrivals")
@click.option("--rate", default=0.5, show_default=True, help="Events per second.")
@click.option("--duration", default=60.0, show_default=True, help="Seconds to run.")
@click.option(
    "--url",
    default=lambda: f"http://127.0.0.1:{os.environ.get('FRONTLINE_PORT', '5000')}",
    show_default="http://127.0.0.1:$FRONTLINE_PORT (5000)",
    help="The running server.",
)
@click.option("--seed", type=int, help="Repeat the same sequence of guests and zones.")
def arrivals(rate: float, duration: float, url: str, seed: int | None) -> None:
    """Post realistic guest arrivals through the public API (run while the demo serves)."""
    if rate <= 0 or duration <= 0:
        raise click.BadParameter("--rate and --duration must be positive")
    visitors = demo_visitors()
    if not visitors:
        raise click.ClickException("no demo guests: run `frontline demo load` first")
    token = fresh_token()
    endpoint = url.rstrip("/") + "/api/v1/events"
    click.echo(f"Posting {rate:g} events/s for {duration:g} s to {endpoint} (Ctrl-C stops).")
    report = lambda event, status: click.echo(  # noqa: E731
        f"  {status} {event['type']:<14} {event['guest_id']} @ {event['location']['zone']}"
    )
    try:
        sent = live.run(endpoint, token, visitors, rate, duration, report, seed)
    except ConnectionError as error:
        raise click.ClickException(f"{error} (is the demo serving? `make demo`)") from None
    click.echo(f"Sent {sent} events.")


@demo.command("history")
@click.option("--days", default=30, show_default=True, help="How far back.")
@click.option("--per-day", default=150, show_default=True, help="Arrivals logged per day.")
@click.option("--seed", default=42, show_default=True)
@click.option("--if-missing", is_flag=True, help="Succeed quietly when history is logged.")
def history(days: int, per_day: int, seed: int, if_missing: bool) -> None:
    """Log past arrivals in the evaluation log, so backtests have history to replay."""
    if days <= 0 or per_day <= 0:
        raise click.BadParameter("--days and --per-day must be positive")
    oldest = db.session.scalar(select(func.min(Evaluation.at)))
    if if_missing and oldest is not None and oldest < utcnow() - timedelta(days=1):
        click.echo("The evaluation log already has history; nothing to do.")
        return
    visitors = demo_visitors()
    if not visitors:
        raise click.ClickException("no demo guests: run `frontline demo load` first")
    floor = live.events(visitors, random.Random(seed))
    click.echo(f"Logging {days * per_day:,} past arrivals over {days} days...")
    logged = log_past_arrivals(floor, days * per_day, days, seed)
    click.echo(f"Logged {logged:,} evaluations: backtests now have {days} days to replay.")


def demo_visitors() -> list[live.Visitor]:
    """Mostly the demo host's own guests, so her phone lights up, plus others on the floor."""
    host = User.by_email("host@demo.test")
    guests = db.session.scalars(select(Guest).where(Guest.tier != GuestTier.MEMBER)).all()
    visitors = [
        live.Visitor(g.external_id, tuple(g.interests or ()), g.tier.value in ("diamond", "black"))
        for g in guests
    ]
    own = [v for v, g in zip(visitors, guests, strict=True) if host and g.host_id == host.id]
    return own * 4 + visitors


def fresh_token() -> str:
    """A new events token for this run (the previous demo one is revoked)."""
    old = db.session.scalar(select(ApiToken).where(ApiToken.name == DEMO_TOKEN))
    if old is not None:
        db.session.delete(old)
        db.session.flush()  # the old name is free before the new token takes it
    _, secret = ApiToken.issue(DEMO_TOKEN, ["events:write"])
    db.session.commit()
    return secret
