"""Live push: the inbox in the database is the truth; a server-sent-event stream only signals.

Every `inbox` message counts up its channel's version and carries it as the event `id:`. A
stream starts with `event: inbox` / `data: sync` (read your inbox now) only if the version
the phone shows (Last-Event-ID when it reconnects, else the page's `?v=`) is not the current
one: a phone that reconnects misses nothing and re-reads nothing it already has.

Under gunicorn the streams run on the event loop (frontline/asgi.py), authenticated by the
signed stream ticket the page embeds; `stream()` here is the same stream on a WSGI thread
(the werkzeug server of the browser tests, and a page without a ticket). See docs/push.md.
"""

from __future__ import annotations

import contextvars
import hashlib
import time
from collections.abc import Iterable

from flask import Flask, Response, current_app, request, url_for
from itsdangerous import BadData, URLSafeTimedSerializer

from . import web
from .broker import SIGNED_OUT, SYNC, LocalBroker, Message, PushUnavailable, Subscription
from .redis_broker import RedisBroker
from .sse import EventStream, check_event, format_event, opening, shown_version

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
    "publish_many",
    "session_channel",
    "shutdown",
    "stream",
    "ticket",
    "user_channel",
    "version",
    "web",
]

Broker = LocalBroker | RedisBroker

DEFAULTS = {
    "PUSH_HEARTBEAT_SECONDS": 15,
    "PUSH_MAX_STREAM_SECONDS": 1800,  # streams end so workers recycle; browsers reconnect
    "PUSH_MAX_STREAMS": None,  # per process; gunicorn_conf sets it below the thread count
    "PUSH_REDIS_PREFIX": "frontline:push:",
    # A stream ticket is good for this long; a revoked session's stream is refused at once by
    # every process that saw the sign-out, and by every process once its ticket is this old.
    "PUSH_TICKET_SECONDS": 3600,
}
TICKET_SALT = "frontline.push.stream-ticket"
#: Set by frontline/asgi.py around a stream request it could not authenticate by ticket: the
#: Flask view authenticates it as always, and `stream()` hands the grant back to the event
#: loop instead of holding this thread for the stream.
GRANT: contextvars.ContextVar[dict | None] = contextvars.ContextVar("push_grant", default=None)


def init_app(app: Flask) -> None:
    """Choose the broker: Redis when REDIS_URL is set, else in-process. Connects nothing yet."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    url = app.config.get("REDIS_URL")
    broker = RedisBroker(url, app.config["PUSH_REDIS_PREFIX"]) if url else LocalBroker()
    app.extensions["push"] = broker
    web.init_app(app)
    app.register_error_handler(PushUnavailable, _unavailable)
    app.add_template_global(stream_url)


def stream_url(endpoint: str, **values) -> str:
    """A page's stream URL, carrying a ticket for the signed-in user (templates call this)."""
    from flask_login import current_user

    if current_user.is_authenticated:
        values["t"] = ticket(current_user.id, current_user.session_token)
    return url_for(endpoint, **values)


def broker(app: Flask | None = None) -> Broker:
    return (app or current_app).extensions["push"]


def user_channel(user_id: int) -> str:
    """The channel a user's phone listens on."""
    return f"user:{int(user_id)}"


def session_channel(session_secret: str) -> str:
    """The channel of one signed-in browser's streams (named by a digest, never the secret)."""
    return "session:" + hashlib.sha256(session_secret.encode()).hexdigest()[:32]


def version(channel: str, app: Flask | None = None) -> str:
    """The channel's inbox version: read it before the inbox, send it with the stream."""
    return broker(app).version(channel)


def ticket(user_id: int, session_token: str, app: Flask | None = None) -> str:
    """A signed, short-lived stream ticket naming a user and one signed-in session: the stream
    checks it without the database (a reconnect storm must not cost an ORM lookup each)."""
    serializer = _tickets(app or current_app)
    return serializer.dumps([int(user_id), session_channel(session_token)])


def channels_of_ticket(app: Flask, text: str) -> list[str] | None:
    """The channels a ticket grants, or None (bad, expired, or its session signed out since)."""
    try:
        (user_id, session), issued = _tickets(app).loads(
            text, max_age=app.config["PUSH_TICKET_SECONDS"], return_timestamp=True
        )
    except (BadData, TypeError, ValueError):
        return None
    channels = [user_channel(user_id), str(session)]
    if not channels[1].startswith("session:"):
        return None
    if broker(app).signed_out_since(channels, issued.timestamp() - 1):
        return None  # the Flask view decides, from the database
    return channels


def _tickets(app: Flask) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(app.secret_key, salt=TICKET_SALT)


def publish(channel: str, event: str = "inbox", data: str = "") -> None:
    """Signal the channel's streams; call after the transaction that changed the inbox commits."""
    publish_many([channel], event, data)


def publish_many(channels: Iterable[str], event: str = "inbox", data: str = "") -> None:
    """`publish` to each channel, in order, in one round trip to Redis (after the commit)."""
    channels = list(channels)
    if not all(channels):
        raise ValueError("push: publish needs a channel")
    check_event(event)
    if channels:
        broker().publish_many(channels, event, data)


def stream(channels: Iterable[str], page_version: str | None = None) -> Response:
    """An SSE response: subscribe first, then the opening block, messages and heartbeats.

    The first channel is the one whose version the phone's inbox follows; `page_version` is
    the version the page was made at (`?v=`). The phone is told to sync only if what it shows
    (Last-Event-ID on a reconnect, else `page_version`) is not the current version.
    """
    channels = list(channels)
    shown = shown_version(request.headers.get("Last-Event-ID"), page_version)
    grant = GRANT.get()
    if grant is not None:  # the event loop streams it (frontline/asgi.py)
        grant.update(channels=channels, shown=shown)
        _release_database(current_app)
        return Response(status=204)
    app = current_app._get_current_object()
    push = broker(app)
    check_capacity(app)
    heartbeat = float(app.config.get("PUSH_HEARTBEAT_SECONDS", 15))
    max_seconds = float(app.config.get("PUSH_MAX_STREAM_SECONDS", 1800))
    subscription = push.subscribe(channels)
    try:
        first, _ = opening(shown, push.version(channels[0]))
        _release_database(app)
    except BaseException:
        push.unsubscribe(subscription)
        raise
    body = EventStream(push, subscription, heartbeat, max_seconds, first)
    return Response(body, mimetype="text/event-stream", headers=STREAM_HEADERS)


STREAM_HEADERS = {
    "Cache-Control": "no-store",  # private: never kept (as frontline/security.py says)
    "X-Accel-Buffering": "no",  # nginx would hold events back otherwise
}


def check_capacity(app: Flask) -> None:
    """Refuse a stream (503, Retry-After) when this process holds as many as it may."""
    limit = app.config.get("PUSH_MAX_STREAMS")
    if limit is not None and broker(app).subscriber_count() >= limit:
        raise PushUnavailable(f"push: this worker already holds {limit} streams")


def shutdown(app: Flask) -> None:
    """End every open stream and stop the broker (the worker is stopping)."""
    app.extensions["push"].close()


def _release_database(app: Flask) -> None:
    # A stream can stay open for half an hour: it must not keep a pooled connection that long.
    sqlalchemy = app.extensions.get("sqlalchemy")
    if sqlalchemy is not None:
        sqlalchemy.session.remove()


def retry_after() -> str:
    """Seconds a refused client should wait: spread, so refused phones do not return at once."""
    return str(2 + int(time.monotonic() * 1000) % 9)


def _unavailable(error: PushUnavailable):
    # EventSource ignores the body; the htmx SSE extension retries with backoff.
    headers = {"Retry-After": retry_after()}
    return Response(f"{error}\n", status=503, mimetype="text/plain", headers=headers)
