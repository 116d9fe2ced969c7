"""Users, their roles and shifts, server-side sessions, sign-in attempts and API tokens."""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime
from decimal import Decimal
from functools import cache

from flask_login import UserMixin
from sqlalchemy import JSON, Enum, ForeignKey, String, Text, bindparam, select
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
        return check_password_hash(self.password_hash, password)

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

    id: Mapped[int] = mapped_column(primary_key=True)
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

    @classmethod
    def end_all(cls, user: User) -> None:
        db.session.execute(db.delete(cls).where(cls.user_id == user.id))


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
    SCOPES = ("guests:read", "guests:write", "events:write", "cargo:read", "cargo:write")

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
