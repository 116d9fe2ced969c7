"""`frontline rules ...`: the engine's commands (vocab, check, explain) plus the published packs
in the database: `export` one to YAML, `import` a YAML file as a draft (or publish it)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from guidance_rules.cli import rules as engine_rules

from ..guidance import rulebook

rules = AppGroup("rules", help=engine_rules.help)
for name, command in engine_rules.commands.items():
    rules.add_command(command, name)


@rules.command("export")
@click.argument("audience")
@click.option("--version", "number", type=int, help="A version number (default: the newest).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="A file.")
def export(audience: str, number: int | None, output: Path | None) -> None:
    """Write a published pack (host or rep) as YAML, ready for `rules import`."""
    try:
        text = rulebook.export(rulebook.pack_for(audience), number)
    except LookupError as error:
        raise click.ClickException(str(error)) from None
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote the {audience} pack to {output}.")


@rules.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--publish", "reason", help="Publish it at once, with this one-line reason.")
def import_(file: Path, reason: str | None) -> None:
    """Make a YAML pack its audience's draft (refused, with the engine's message, unless it
    checks); with --publish, publish it as the next version."""
    try:
        text = file.read_text(encoding="utf-8")
        why = reason or f"imported {file.name}"
        pack = rulebook.import_pack(text, None, why, bool(reason), name=str(file))
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"cannot read {file}: {error}") from None
    except rulebook.PackRefused as refusal:
        raise click.ClickException(str(refusal)) from None
    newest = rulebook.latest(pack)
    state = f"published as version {newest.number}" if reason else "saved as the draft"
    click.echo(f"The {pack.audience} pack from {file} is {state}.")
