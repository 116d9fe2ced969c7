"""`frontline import guests|visits FILE`: CSV in, every bad row reported, all or nothing."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db
from ..imports import ImportFailed
from ..imports.casino import import_guests, import_visits


@click.group("import", cls=AppGroup, help="Import CSV files (columns: docs/imports.md).")
def imports() -> None:
    pass


def _run(action, path: str):
    try:
        return action(path)
    except ImportFailed as failure:
        db.session.rollback()
        raise click.ClickException(failure.report()) from None


@imports.command("guests")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def guests(path: str) -> None:
    """Create or update guests from FILE."""
    created, updated = _run(import_guests, path)
    click.echo(f"Imported guests from {path}: {created} created, {updated} updated.")


@imports.command("visits")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def visits(path: str) -> None:
    """Append visits from FILE."""
    count = _run(import_visits, path)
    click.echo(f"Imported {count} visits from {path}.")
