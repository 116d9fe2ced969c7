"""`frontline tokens create|revoke|list`: bearer tokens for integrations."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from ..tables import ApiToken, utcnow


@click.group(cls=AppGroup, help="API tokens for integrations (stored hashed; shown once).")
def tokens() -> None:
    pass


def _parse_scopes(text: str) -> list[str]:
    scopes = [s for s in text.replace(",", " ").split() if s]
    unknown = sorted(set(scopes) - set(ApiToken.SCOPES))
    if not scopes or unknown:
        raise click.BadParameter(
            f"unknown scope(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(ApiToken.SCOPES)}",
            param_hint="--scopes",
        )
    return scopes


@tokens.command("create")
@click.option("--name", required=True, help="Who uses it, e.g. 'loyalty-system'.")
@click.option("--scopes", required=True, help="Comma- or space-separated scopes.")
def create(name: str, scopes: str) -> None:
    """Create a token and print its secret once."""
    if db.session.scalar(select(ApiToken).where(ApiToken.name == name)):
        raise click.ClickException(f"a token named {name!r} exists; revoke it or pick a new name")
    token, secret = ApiToken.issue(name, _parse_scopes(scopes))
    db.session.commit()
    click.echo(f"Token {token.name!r} with scopes {' '.join(token.scopes)}:")
    click.echo(secret)
    click.echo("Store it now: it is kept hashed and cannot be shown again.", err=True)


@tokens.command("revoke")
@click.argument("name")
def revoke(name: str) -> None:
    """Revoke a token by name; requests carrying it get 401 within the token cache time."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == name))
    if token is None:
        raise click.ClickException(f"no token named {name!r}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    seconds = current_app.config["API_TOKEN_CACHE_SECONDS"]
    click.echo(
        f"Token {name!r} is revoked. A server that checked it in the last {seconds:g} s may "
        f"still accept it for up to {seconds:g} s (FRONTLINE_API_TOKEN_CACHE_SECONDS)."
    )


@tokens.command("list")
def list_tokens() -> None:
    """List tokens (names and scopes, never secrets)."""
    for token in db.session.scalars(select(ApiToken).order_by(ApiToken.name)):
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
        click.echo(f"{token.name}\t{' '.join(token.scopes)}\t{state}")
