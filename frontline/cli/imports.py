"""`frontline import KIND FILE`: CSV in, every bad row reported, all or nothing."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db
from ..imports import ImportFailed, cargo
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


#: Cargo imports (docs/rep.md): command name -> (import function, what the rows are).
CARGO = {
    "flights": (cargo.import_flights, "flights"),
    "bookings": (cargo.import_bookings, "bookings"),
    "quotes": (cargo.import_quotes, "quotes"),
    "competitor-rates": (cargo.import_competitor_rates, "competitor rate observations"),
}


def _cargo_command(name: str) -> None:
    action, what = CARGO[name]

    @imports.command(name, help=f"Import {what} from FILE (all rows or none).")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def command(path: str) -> None:
        created, updated, unchanged = _run(action, path)
        click.echo(
            f"Imported {what} from {path}: {created} created, {updated} updated, "
            f"{unchanged} unchanged."
        )


for _name in CARGO:
    _cargo_command(_name)
