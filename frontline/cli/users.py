"""`frontline users create|link|disable`: people who sign in.

For many people use `frontline import users FILE.csv`: one process, no password hashing
(each `create` pays the app's start-up, about 3 s, and a deliberately slow scrypt hash).
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db
from ..people import links
from ..tables import Role, User, UserSession


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
    UserSession.end_all(user)
    db.session.commit()
    click.echo(f"Disabled {user.email}; their sessions are ended.")


@users.command("link")
@click.argument("email")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
def link(email: str, base_url: str) -> None:
    """Print a one-time set-password link for EMAIL (older links stop working)."""
    user = User.by_email(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    secret = links.issue(None, user)
    db.session.commit()
    click.echo(f"{base_url.rstrip('/')}/set-password/{secret}")
