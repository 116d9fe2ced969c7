"""Live push: the inbox in the database is the truth; a server-sent-event stream only signals.

Every stream starts with `event: inbox` / `data: sync` (read your inbox now), so a phone that
reconnects, for whatever reason, misses nothing; unless the caller knows the phone shows the
current inbox (`shows_current`). See docs/push.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

from flask import Flask, Response, current_app

from . import web
from .broker import SIGNED_OUT, SYNC, LocalBroker, Message, PushUnavailable, Subscription
from .redis_broker import RedisBroker
from .sse import EventStream, check_event, format_event

__all__ = [
    "SIGNED_OUT",
    "SYNC",
    "LocalBroker",
    "Message",
    "PushUnavailable",
    "RedisBroker",
    "Subscription",
    "format_event",
    "init_app",
    "publish",
    "session_channel",
    "shutdown",
    "stream",
    "user_channel",
    "web",
]

Broker = LocalBroker | RedisBroker

DEFAULTS = {
    "PUSH_HEARTBEAT_SECONDS": 15,
    "PUSH_MAX_STREAM_SECONDS": 1800,  # streams end so workers recycle; browsers reconnect
    "PUSH_MAX_STREAMS": None,  # per process; gunicorn_conf sets it below the thread count
    "PUSH_REDIS_PREFIX": "frontline:push:",
}


def init_app(app: Flask) -> None:
    """Choose the broker: Redis when REDIS_URL is set, else in-process. Connects nothing yet."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    url = app.config.get("REDIS_URL")
    broker = RedisBroker(url, app.config["PUSH_REDIS_PREFIX"]) if url else LocalBroker()
    app.extensions["push"] = broker
    web.init_app(app)
    app.register_error_handler(PushUnavailable, _unavailable)


def broker(app: Flask | None = None) -> Broker:
    return (app or current_app).extensions["push"]


def user_channel(user_id: int) -> str:
    """The channel a user's phone listens on."""
    return f"user:{int(user_id)}"


def session_channel(session_secret: str) -> str:
    """The channel of one signed-in browser's streams (named by a digest, never the secret)."""
    return "session:" + hashlib.sha256(session_secret.encode()).hexdigest()[:32]


def publish(channel: str, event: str = "inbox", data: str = "") -> None:
    """Signal the channel's streams; call after the transaction that changed the inbox commits."""
    if not channel:
        raise ValueError("push: publish needs a channel")
    check_event(event)
    broker().publish(channel, event, data)


def stream(channels: Iterable[str], shows_current: Callable[[], bool] | None = None) -> Response:
    """An SSE response: subscribe first, then `inbox`/`sync`, messages and heartbeats.

    `shows_current`, asked once the subscription is live: does the phone already show the
    current inbox (the page it just rendered)? Then the stream starts without the sync, saving
    the phone a re-read; a change before that moment makes it say False, after it is a message.
    """
    app = current_app._get_current_object()
    push = broker(app)
    limit = app.config.get("PUSH_MAX_STREAMS")
    if limit is not None and push.subscriber_count() >= limit:
        raise PushUnavailable(f"push: this worker already holds {limit} streams")
    heartbeat = float(app.config.get("PUSH_HEARTBEAT_SECONDS", 15))
    max_seconds = float(app.config.get("PUSH_MAX_STREAM_SECONDS", 1800))
    subscription = push.subscribe(channels)
    try:
        sync = shows_current is None or not shows_current()
        _release_database(app)
    except BaseException:
        push.unsubscribe(subscription)
        raise
    body = EventStream(push, subscription, heartbeat, max_seconds, sync)
    response = Response(body, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx would hold events back otherwise
    return response


def shutdown(app: Flask) -> None:
    """End every open stream and stop the broker (the worker is stopping)."""
    app.extensions["push"].close()


def _release_database(app: Flask) -> None:
    # A stream can stay open for half an hour: it must not keep a pooled connection that long.
    sqlalchemy = app.extensions.get("sqlalchemy")
    if sqlalchemy is not None:
        sqlalchemy.session.remove()


def _unavailable(error: PushUnavailable):
    # EventSource ignores the body; the htmx SSE extension retries with backoff.
    return Response(f"{error}\n", status=503, mimetype="text/plain", headers={"Retry-After": "5"})
