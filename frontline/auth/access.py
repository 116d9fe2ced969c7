"""Server-side sessions for Flask-Login and the role gate on every view."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import Flask, abort, current_app, flash, g, request, session, url_for
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from .. import push
from ..extensions import db, login_manager
from ..rendering import current_page, leave_for
from ..tables import Role, User, UserSession, utcnow

HOMES = {
    Role.HOST: "host.inbox",
    Role.REP: "rep.home",
    Role.ANALYST: "analyst.home",
    Role.ADMIN: "admin.users",
}


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_session_user)
    login_manager.unauthorized_handler(sign_in_first)


def load_session_user(token: str) -> User | None:
    """The cookie holds a session secret; no session row, no user (logout ends it for good).

    A session ends after SESSION_IDLE_MINUTES without a request (the last one is kept in the
    signed cookie, rewritten at most once a minute; a live stream reconnecting is not activity)
    and SESSION_MAX_HOURS after sign-in whatever happens (the row's created_at).
    """
    row = UserSession.find(token)
    if row is None or not row.user.enabled:
        return None
    reason = _expired(row)
    if reason is not None:
        db.session.delete(row)
        db.session.commit()
        g.signed_out_reason = reason
        return None
    _seen_now()
    user = row.user
    user.session_token = token
    return user


def _expired(row: UserSession) -> str | None:
    config = current_app.config
    if utcnow() - row.created_at > timedelta(hours=config["SESSION_MAX_HOURS"]):
        hours = config["SESSION_MAX_HOURS"]
        return f"You were signed out after {hours:g} hours. Please sign in again."
    seen = session.get("seen")
    if seen is not None and time.time() - seen > config["SESSION_IDLE_MINUTES"] * 60:
        return "You were signed out after inactivity. Please sign in again."
    return None


def _seen_now() -> None:
    now = int(time.time())
    if (request.endpoint or "").endswith(".stream"):
        return
    if now - session.get("seen", 0) >= 60:
        session["seen"] = now


def stream_channels(user: User) -> list[str]:
    """A phone's stream listens for its user's signals and for its own session ending."""
    return [push.user_channel(user.id), push.session_channel(user.session_token)]


def end_session(user: User) -> None:
    """Sign this browser out: its session row goes, and its open streams end (any worker)."""
    row = UserSession.find(user.session_token)
    if row is not None:
        db.session.delete(row)
        db.session.commit()
    push.publish(push.session_channel(user.session_token), *push.SIGNED_OUT)


@event.listens_for(Session, "after_commit")
def _end_streams_of_sessions_ended(session: Session) -> None:
    """Whoever ended a person's sessions (disabled, role changed, new password) committed: now
    end that person's open streams too, on whichever worker holds them."""
    for user_id in session.info.pop(UserSession.ENDED_FOR, ()):
        try:
            push.publish(push.user_channel(user_id), *push.SIGNED_OUT)
        except push.PushUnavailable as error:  # they end at their next reconnect instead
            current_app.logger.warning("sign-out of user %s not pushed: %s", user_id, error)


@event.listens_for(Session, "after_rollback")
def _forget_sessions_not_ended(session: Session) -> None:
    session.info.pop(UserSession.ENDED_FOR, None)


def sign_in_first():
    """Not signed in (or no longer): to the sign-in page, saying why; htmx leaves the fragment."""
    flash(g.pop("signed_out_reason", None) or "Please sign in to continue.")
    page = current_page()
    return leave_for(url_for("auth.login", next=page) if page != "/" else url_for("auth.login"))


def home_for(user: User) -> str:
    """The URL of the landing page for the user's role."""
    return url_for(HOMES[user.role])


def role_required(*roles: Role) -> Callable:
    """Let in signed-in users with one of these roles; others get the sign-in page or a 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def gated(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return gated

    return decorator


def lead_required(view: Callable) -> Callable:
    """Let in a sales lead (someone who signs off a pack); others get sign-in or a 403."""

    @wraps(view)
    def gated(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.signs_off:
            abort(403)
        return view(*args, **kwargs)

    return gated
