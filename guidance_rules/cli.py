"""`flask rules ...`: check packs, explain an evaluation, print the vocabulary (no Flask import)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .docs import update_docs, vocabulary_markdown
from .engine import explain as explain_facts
from .engine import explanation_text
from .errors import RuleError
from .packs import Pack, facts_from_plain, load_pack
from .vocabulary import load_vocabulary

PACKS = Path(__file__).resolve().parent / "packs"


@click.group("rules")
def rules() -> None:
    """Check, explain and document guidance rule packs."""


@rules.command("vocab")
@click.option("--markdown", is_flag=True, help="Print the Markdown used in docs/rules.md.")
@click.option("--update-docs", "rewrite", is_flag=True, help="Regenerate docs/rules.md's table.")
def vocab(markdown: bool, rewrite: bool) -> None:
    """Print the fact vocabulary: name, type, unit, source and description."""
    if rewrite:
        click.echo("docs/rules.md updated" if update_docs() else "docs/rules.md is up to date")
        return
    vocabulary = load_vocabulary()
    if markdown:
        click.echo(vocabulary_markdown(vocabulary), nl=False)
        return
    for fact in vocabulary:
        unit = f" [{fact.unit}]" if fact.unit else ""
        click.echo(f"{fact.name:40} {fact.type_label}{unit}  ({fact.source})")
        click.echo(f"{'':40} {fact.description}")


@rules.command("check")
@click.argument("packs", nargs=-1, type=click.Path(dir_okay=False))
def check(packs: tuple[str, ...]) -> None:
    """Validate packs and run their examples (default: every pack in guidance_rules/packs)."""
    paths = [Path(p) for p in packs] or sorted(PACKS.glob("*.yaml"))
    if not paths:
        raise click.ClickException("no packs to check")
    failed = 0
    for path in paths:
        try:
            pack = load_pack(path)
        except RuleError as error:
            failed += 1
            for problem in getattr(error, "all", [error]):
                click.echo(str(problem), err=True)
            continue
        examples = sum(len(r.examples) for r in pack.rules) + len(pack.examples)
        summary = f"{pack.id} {pack.version}, {len(pack.rules)} rules, {examples} examples pass"
        click.echo(f"ok  {path}: {summary}")
    if failed:
        raise click.ClickException(f"{failed} of {len(paths)} pack(s) rejected")


@rules.command("explain")
@click.argument("pack_name", metavar="PACK")
@click.option(
    "--facts",
    "facts_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A JSON object of fact name -> value.",
)
@click.option(
    "--history",
    "history_file",
    type=click.Path(exists=True, dir_okay=False),
    help="A JSON object of cooldown key -> ISO time the card was last shown.",
)
def explain(pack_name: str, facts_file: str, history_file: str | None) -> None:
    """Show which rules fired and why, and for the others which clause failed."""
    try:
        pack = _pack(pack_name)
        facts = facts_from_plain(_json(facts_file), pack.vocabulary)
        history = _history(_json(history_file)) if history_file else None
        click.echo(explanation_text(explain_facts(pack, facts, history)))
    except RuleError as error:
        raise click.ClickException(str(error)) from None


def _pack(name: str) -> Pack:
    path = Path(name)
    if not path.exists() and (PACKS / f"{name}.yaml").exists():
        path = PACKS / f"{name}.yaml"
    if not path.exists():
        known = ", ".join(p.stem for p in sorted(PACKS.glob("*.yaml")))
        raise click.ClickException(f"no pack `{name}` (a file path, or one of: {known})")
    return load_pack(path)


def _json(path: str) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise click.ClickException(f"{path}: not a readable JSON file: {error}") from None
    if not isinstance(data, dict):
        raise click.ClickException(f"{path}: expected a JSON object")
    return data


def _history(data: dict) -> dict:
    import datetime as dt

    try:
        return {str(k): dt.datetime.fromisoformat(v) for k, v in data.items()}
    except (TypeError, ValueError) as error:
        raise click.ClickException(f"history times must be ISO datetimes: {error}") from None
