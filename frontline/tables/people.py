"""Users, their roles and shifts, server-side sessions, sign-in attempts, API tokens, the
people audit log and one-time set-password links."""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime
from decimal import Decimal
from functools import cache

from flask_login import UserMixin
from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .types import Money, UTCDateTime, utcnow


class Role(enum.StrEnum):
    HOST = "host"
    REP = "rep"
    ANALYST = "analyst"
    ADMIN = "admin"


def digest(token: str) -> str:
    """The stored form of a bearer secret: only its SHA-256 ever reaches the database."""
    return hashlib.sha256(token.encode()).hexdigest()


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16))
    password_hash: Mapped[str] = mapped_column(String(256))
    enabled: Mapped[bool] = mapped_column(default=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    #: The largest comp a host may offer without asking (hosts only).
    comp_authority: Mapped[Decimal | None] = mapped_column(Money())
    #: A sales lead signs off marketing's changes to this audience's pack (host or rep).
    signs_off: Mapped[str | None] = mapped_column(String(16))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    manager: Mapped[User | None] = relationship(remote_side=[id])
    shifts: Mapped[list[Shift]] = relationship(back_populates="user", cascade="all, delete-orphan")

    #: The secret of the session this request runs in; set on sign-in and by the loader.
    session_token = None

    def get_id(self) -> str | None:
        return self.session_token

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        # An empty hash: the person has not chosen a password yet (a set-password link waits).
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled users
        return self.enabled

    @classmethod
    def by_email(cls, email: str) -> User | None:
        return db.session.scalar(select(cls).where(cls.email == email.strip().lower()))

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class Shift(db.Model):
    """A host's working time and the zones of the property covered during it."""

    __tablename__ = "shifts"
    # "Who is on now" reads the shifts that started within the longest shift's length.
    __table_args__ = (Index("ix_shifts_starts_at", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The workforce-scheduling system's id for the shift (import and API write by it).
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    zones: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_manager: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(back_populates="shifts")


class PushSubscription(db.Model):
    """One device's Web Push subscription (RFC 8030 endpoint and RFC 8291 keys)."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: Signing out (or the session ending) ends the device's lock-screen alerts with it.
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_sessions.id", ondelete="CASCADE"), index=True
    )
    endpoint: Mapped[str] = mapped_column(String(1024), unique=True)
    p256dh: Mapped[str] = mapped_column(String(128))
    auth: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(256), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def keys(self) -> dict:
        """The subscription as pywebpush takes it."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class UserSession(db.Model):
    """One signed-in browser. Deleting the row ends it, whatever the cookie says."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(256), default="")

    # Every signed-in request loads its session and user: one query, not two.
    user: Mapped[User] = relationship(lazy="joined")

    @classmethod
    def start(cls, user: User, user_agent: str = "") -> str:
        """Open a session for the user and return the secret that goes in the cookie."""
        token = secrets.token_urlsafe(32)
        db.session.add(cls(token_hash=digest(token), user=user, user_agent=user_agent[:256]))
        return token

    @classmethod
    def find(cls, token: str) -> UserSession | None:
        return db.session.scalar(_session_by_hash(), {"token_hash": digest(token)})

    #: `session.info` key: people whose sessions this transaction ended (their streams end
    #: once it commits: frontline.auth.access).
    ENDED_FOR = "sessions_ended_for"

    @classmethod
    def end_all(cls, user: User) -> None:
        """End every session of the person, in the caller's transaction."""
        db.session.execute(db.delete(cls).where(cls.user_id == user.id))
        db.session.info.setdefault(cls.ENDED_FOR, set()).add(user.id)


@cache  # built once: every signed-in request runs it
def _session_by_hash():
    return select(UserSession).where(UserSession.token_hash == bindparam("token_hash"))


class LoginAttempt(db.Model):
    """A failed sign-in, kept to slow down password guessing across all workers."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class ApiToken(db.Model):
    """A bearer token for an integration; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text, default="")

    #: Every scope a token can carry; the API checks one per endpoint.
    SCOPES = (
        "guests:read",
        "guests:write",
        "events:write",
        "cargo:read",
        "cargo:write",
        "shifts:read",
        "shifts:write",
    )

    @classmethod
    def issue(cls, name: str, scopes: list[str]) -> tuple[ApiToken, str]:
        """Create a token; the secret is returned once and never stored."""
        secret = "fl_" + secrets.token_urlsafe(32)
        token = cls(name=name, token_hash=digest(secret), scopes=sorted(set(scopes)))
        db.session.add(token)
        return token, secret

    @classmethod
    def find_active(cls, secret: str) -> ApiToken | None:
        query = select(cls).where(cls.token_hash == digest(secret), cls.revoked_at.is_(None))
        return db.session.scalar(query)


class PersonChange(db.Model):
    """The people audit log: who added, changed, disabled or reset whom, and when."""

    __tablename__ = "people_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: None: a command-line run (an import), not a signed-in admin.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


class PasswordLink(db.Model):
    """A one-time link to choose a password; only the secret's hash is stored."""

    __tablename__ = "password_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
