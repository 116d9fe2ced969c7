"""One-time set-password links: nobody ever sends or sees a password in clear.

The admin shows (or copies) the link to the person; it works once, for LINK_HOURS, and a new
link voids the older ones. Only the secret's SHA-256 is stored.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select, update

from ..extensions import db
from ..tables import PasswordLink, User, UserSession, utcnow
from ..tables.people import digest
from . import audit

LINK_HOURS = 72
MIN_PASSWORD_LENGTH = 10


class LinkRefused(ValueError):
    """The link is unknown, used or expired, or the password cannot be used."""


def issue(actor: User | None, person: User) -> str:
    """A new link's secret (shown once); earlier unused links of the person stop working."""
    now = utcnow()
    _void(person, now)
    secret = secrets.token_urlsafe(32)
    db.session.add(
        PasswordLink(
            user=person,
            token_hash=digest(secret),
            created_at=now,
            expires_at=now + timedelta(hours=LINK_HOURS),
        )
    )
    audit.record(actor, person, "password link", f"valid for {LINK_HOURS} hours")
    return secret


def find(secret: str) -> PasswordLink:
    link = db.session.scalar(select(PasswordLink).where(PasswordLink.token_hash == digest(secret)))
    if link is None or link.used_at is not None:
        raise LinkRefused(
            "This link has been used or replaced. Ask your administrator for a new one."
        )
    if link.expires_at <= utcnow():
        raise LinkRefused("This link has expired. Ask your administrator for a new one.")
    if not link.user.enabled:
        raise LinkRefused("This account is disabled. Ask your administrator.")
    return link


def use(secret: str, password: str, again: str) -> User:
    """Set the person's password through the link; the link is spent and old sessions end."""
    link = find(secret)
    if password != again:
        raise LinkRefused("The two passwords differ.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise LinkRefused(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    person = link.user
    person.set_password(password)
    link.used_at = utcnow()
    UserSession.end_all(person)
    audit.record(person, person, "password set", "through a set-password link")
    return person


def _void(person: User, now) -> None:
    db.session.execute(
        update(PasswordLink)
        .where(PasswordLink.user_id == person.id, PasswordLink.used_at.is_(None))
        .values(used_at=now)
    )
