"""Server-side sessions for Flask-Login and the role gate on every view."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, abort, url_for
from flask_login import current_user

from ..extensions import login_manager
from ..tables import Role, User, UserSession

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


def load_session_user(token: str) -> User | None:
    """The cookie holds a session secret; no session row, no user (logout ends it for good)."""
    session = UserSession.find(token)
    if session is None or not session.user.enabled:
        return None
    user = session.user
    user.session_token = token
    return user


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
