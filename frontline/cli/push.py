"""`frontline push keys`: the VAPID key pair Web Push signs with."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ..push import web


@click.group(cls=AppGroup, help="Web Push: lock-screen alerts on the phones.")
def push() -> None:
    pass


@push.command("keys")
@click.option("--write", is_flag=True, help="Write them to instance/vapid.json instead.")
@click.option("--if-missing", is_flag=True, help="With --write: keep a file already there.")
def keys(write: bool, if_missing: bool) -> None:
    """Make a new VAPID key pair (changing it makes every phone subscribe again)."""
    pair = web.generate_keys()
    if not write:
        click.echo(f"FRONTLINE_VAPID_PRIVATE_KEY={pair['private_key']}")
        click.echo(f"FRONTLINE_VAPID_PUBLIC_KEY={pair['public_key']}")
        return
    path = Path(current_app.instance_path) / "vapid.json"
    if if_missing and path.exists():
        click.echo(f"{path} exists; kept")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(pair, indent=2) + "\n")
    path.chmod(0o600)
    click.echo(f"wrote {path}")
