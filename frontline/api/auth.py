"""Bearer tokens with scopes; every failure answers JSON with 401 or 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, request
from flask_smorest import abort

from ..tables import ApiToken

SECURITY_SCHEME = {"type": "http", "scheme": "bearer"}


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
            token = ApiToken.find_active(_bearer_secret())
            if token is None:
                abort(401, message="Unknown or revoked API token.")
            if scope is not None and scope not in token.scopes:
                abort(403, message=f"This token lacks the '{scope}' scope.")
            g.api_token = token
            return view(*args, **kwargs)

        return guarded

    return decorator
