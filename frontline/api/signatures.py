"""Standard Webhooks signatures (webhook-id, webhook-timestamp, webhook-signature), optional.

When FRONTLINE_WEBHOOK_SECRET is set, event senders must sign; the timestamp must be
within TOLERANCE of now so that a captured request cannot be replayed later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Request, current_app, request
from flask_smorest import abort

TOLERANCE_SECONDS = 300


def secret_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,<base64>` signature for a message (senders and tests use this too)."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify_signature(request: Request, secret: str | None) -> None:
    if not secret:
        return
    msg_id = request.headers.get("webhook-id")
    stamp = request.headers.get("webhook-timestamp", "")
    offered = request.headers.get("webhook-signature", "")
    if not msg_id or not stamp.isdigit() or not offered:
        abort(
            401, message="Signed requests need webhook-id, webhook-timestamp and webhook-signature."
        )
    if abs(time.time() - int(stamp)) > TOLERANCE_SECONDS:
        abort(401, message=f"webhook-timestamp is more than {TOLERANCE_SECONDS} s from now.")
    expected = sign(secret, msg_id, int(stamp), request.get_data())
    if not any(hmac.compare_digest(expected, s) for s in offered.split()):
        abort(401, message="webhook-signature does not match the body.")


def signed_if_configured(view: Callable) -> Callable:
    """Check the request's signature when the app has a webhook secret."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        verify_signature(request, current_app.config.get("WEBHOOK_SECRET"))
        return view(*args, **kwargs)

    return checked
