"""Command-line tools: `frontline demo|tokens|users ...` (also reachable as `flask`)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from .demo import demo
from .guidance import guidance
from .imports import imports
from .models import models
from .push import push
from .rules import rules
from .scoreboard import scoreboard
from .tokens import tokens
from .users import users


def init_app(app: Flask) -> None:
    for group in (demo, guidance, imports, models, push, rules, scoreboard, tokens, users):
        app.cli.add_command(group)


class FrontlineGroup(FlaskGroup):
    """The `frontline` command: an unreachable database is one clear line, not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except OperationalError as error:
            raise click.ClickException(unreachable_message(ctx, error)) from None


def unreachable_message(ctx: click.Context, error: OperationalError) -> str:
    """One line: which database (password hidden) and the driver's first line of why."""
    reason = str(error.orig or error).strip().splitlines()[0]
    app = ctx.ensure_object(ScriptInfo).load_app()
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)
    return f"cannot reach the database {url}: {reason}"


def main() -> None:
    from .. import create_app

    FrontlineGroup(create_app=create_app, help="Frontline's command line.").main()
