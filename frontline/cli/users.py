"""`frontline users create|disable`: people who sign in."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..auth import end_every_session
from ..extensions import db
from ..tables import Role, User


@click.group(cls=AppGroup, help="Manage who can sign in.")
def users() -> None:
    pass


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.password_option()
def create(email: str, display_name: str, role: str, password: str) -> None:
    """Create a user with a role."""
    email = email.strip().lower()
    if "@" not in email:
        raise click.BadParameter(f"{email!r} is not an e-mail address", param_hint="--email")
    if User.by_email(email):
        raise click.ClickException(f"a user with e-mail {email} exists")
    if len(password) < 10:
        raise click.BadParameter("use at least 10 characters", param_hint="--password")
    user = User(email=email, display_name=display_name, role=Role(role))
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created {role} {email}.")


@users.command("disable")
@click.argument("email")
def disable(email: str) -> None:
    """Disable a user and end all of their sessions."""
    user = User.by_email(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    user.enabled = False
    end_every_session(user)
    click.echo(f"Disabled {user.email}; their sessions are ended.")
