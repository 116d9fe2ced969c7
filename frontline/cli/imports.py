"""`frontline import KIND FILE`: CSV in, every bad row reported, all or nothing."""

from __future__ import annotations

import csv

import click
from flask.cli import AppGroup

from ..casino.shift_import import import_shifts
from ..extensions import db
from ..imports import ImportFailed, cargo
from ..imports.casino import import_guests, import_visits
from ..people.imports import import_users


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


@imports.command("users")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--links",
    "links_path",
    type=click.Path(dir_okay=False, writable=True),
    help="Write each new person's one-time set-password link to this CSV (e-mail, link).",
)
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
def users(path: str, links_path: str | None, base_url: str) -> None:
    """Create or update people by e-mail from FILE (no passwords: set-password links)."""
    created, updated, secrets = _run(lambda p: import_users(p, with_links=bool(links_path)), path)
    if links_path:
        with open(links_path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["email", "link"])
            for email, secret in secrets.items():
                writer.writerow([email, f"{base_url.rstrip('/')}/set-password/{secret}"])
    click.echo(f"Imported people from {path}: {created} created, {updated} updated.")
    if links_path:
        click.echo(
            f"Set-password links for the {created} new people: {links_path} (keep it private)."
        )


@imports.command("shifts")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def shifts(path: str) -> None:
    """Create or replace hosts' shifts from a scheduling export FILE (resort time)."""
    created, replaced = _run(import_shifts, path)
    click.echo(f"Imported shifts from {path}: {created} created, {replaced} replaced.")


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
