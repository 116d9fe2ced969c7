"""Bearer tokens with scopes; every failure answers JSON with 401 or 403.

An active token is remembered for API_TOKEN_CACHE_SECONDS (default 5) so that a busy
integration does not cost a query per request: a revoked token stops working within that
time in every worker (0 checks the database on every request).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Flask, current_app, g, request
from flask_smorest import abort

from ..tables import ApiToken
from ..tables.people import digest

SECURITY_SCHEME = {"type": "http", "scheme": "bearer"}
DEFAULT_CACHE_SECONDS = 5.0
#: Distinct active tokens remembered per process; a real deployment has a handful.
MAX_REMEMBERED = 1000


@dataclass(frozen=True)
class Grant:
    """What a request's token allows: read from the database, then remembered briefly."""

    name: str
    scopes: tuple[str, ...]


class GrantCache:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._grants: dict[str, tuple[float, Grant]] = {}
        self._lock = threading.Lock()

    def find(self, secret: str) -> Grant | None:
        key = digest(secret)
        now = time.monotonic()
        with self._lock:
            remembered = self._grants.get(key)
        if remembered is not None and now - remembered[0] < self.seconds:
            return remembered[1]
        token = ApiToken.find_active(secret)
        if token is None:
            return None
        grant = Grant(token.name, tuple(token.scopes))
        if self.seconds > 0:
            with self._lock:
                if len(self._grants) >= MAX_REMEMBERED:
                    self._grants.clear()
                self._grants[key] = (now, grant)
        return grant


def init_app(app: Flask) -> None:
    seconds = float(app.config.get("API_TOKEN_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))
    app.extensions["api_grants"] = GrantCache(seconds)


def _bearer_secret() -> str:
    header = request.headers.get("Authorization", "")
    if not header:
        abort(401, message="Missing Authorization header: send 'Authorization: Bearer <token>'.")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip() or " " in secret.strip():
        abort(401, message="Malformed Authorization header: expected 'Bearer <token>'.")
    return secret.strip()


def require_scope(scope: str | None) -> Callable:
    """Let the request in only with an active token that carries `scope` (None: any scope)."""
    if scope is not None and scope not in ApiToken.SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            grant = current_app.extensions["api_grants"].find(_bearer_secret())
            if grant is None:
                abort(401, message="Unknown or revoked API token.")
            if scope is not None and scope not in grant.scopes:
                abort(403, message=f"This token lacks the '{scope}' scope.")
            g.api_token = grant
            return view(*args, **kwargs)

        return guarded

    return decorator
