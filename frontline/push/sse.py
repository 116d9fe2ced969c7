"""The server-sent-event body: sync first, then messages and heartbeats, until closed."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator
from typing import Protocol

from .broker import CLOSED, SIGNED_OUT, SYNC, Message, Subscription, Versioned, version_of

#: How long a browser waits before reconnecting a stream that ended: RETRY_MS plus a random
#: share of RETRY_JITTER_MS, so a floor whose Wi-Fi blinked comes back spread over seconds.
RETRY_MS = 1000
RETRY_JITTER_MS = 4000
HEARTBEAT = b": heartbeat\n\n"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class Unsubscriber(Protocol):
    def unsubscribe(self, subscription: Subscription) -> None: ...


def check_event(event: str) -> None:
    if not event or _LINE_BREAK.search(event):
        raise ValueError(f"push: {event!r} cannot be an SSE event name")


def format_event(event: str, data: str, id: str = "") -> bytes:
    """One SSE event; data with line breaks becomes several `data:` lines. `id` (the inbox
    version) is what the browser sends back as Last-Event-ID when it reconnects."""
    lines = [f"event: {event}", *(f"data: {line}" for line in _LINE_BREAK.split(data))]
    if id:
        lines.insert(0, f"id: {id}")
    return ("\n".join(lines) + "\n\n").encode()


def format_message(message: Message | Versioned) -> bytes:
    return format_event(message.event, message.data, version_of(message))


def opening(shown: str | None, current: str) -> tuple[bytes, bool]:
    """The first block of every stream, and whether it asks the phone to sync.

    `shown`: the inbox version the phone shows (Last-Event-ID on a reconnect, else the page's
    `?v=`); `current`: the version now. The phone re-reads its inbox only if they differ. The
    block always names the current version (`id:`), so the next reconnect compares with it.
    """
    retry = RETRY_MS + random.randrange(RETRY_JITTER_MS)
    sync = shown != current
    first = format_event(*SYNC, current) if sync else f"id: {current}\n\n".encode()
    return f"retry: {retry}\n".encode() + first, sync


def shown_version(last_event_id: str | None, page_version: str | None) -> str | None:
    """What the phone shows: the last event it got wins over the page it started from."""
    return last_event_id or page_version


class Pace:
    """The rules of an open stream, for the thread (EventStream) and the event loop (asgi):
    messages as they come, a heartbeat after `heartbeat` quiet seconds, the end after
    `max_seconds`, at CLOSED, or after SIGNED_OUT."""

    def __init__(self, heartbeat: float, max_seconds: float) -> None:
        now = time.monotonic()
        self.heartbeat, self.deadline, self.last_write = heartbeat, now + max_seconds, now

    def wait(self) -> float | None:
        """Seconds to wait for a message; None once the stream has lasted its time."""
        now = time.monotonic()
        if now >= self.deadline:
            return None
        return max(min(self.last_write + self.heartbeat, self.deadline) - now, 0.0)

    def react(self, message: Message | Versioned | None) -> tuple[bytes | None, bool]:
        """What to write for this message (None: nothing yet), and whether the stream ends."""
        now = time.monotonic()
        if message is CLOSED:
            return None, True
        if message is not None:
            self.last_write = now
            return format_message(message), message == SIGNED_OUT
        if now >= self.last_write + self.heartbeat:
            self.last_write = now
            return HEARTBEAT, False
        return None, False


class EventStream:
    """An iterable WSGI body that unsubscribes when the server closes it (client gone or done).

    `close` rather than a generator's `finally`: a generator that never started would never
    run its `finally`, and its queue would leak.
    """

    def __init__(
        self,
        broker: Unsubscriber,
        subscription: Subscription,
        heartbeat_seconds: float,
        max_seconds: float,
        first: bytes,
    ):
        self.broker, self.subscription = broker, subscription
        self.heartbeat_seconds, self.max_seconds = heartbeat_seconds, max_seconds
        self.first = first

    def __iter__(self) -> Iterator[bytes]:
        yield self.first  # one block: the headers go out at once
        pace = Pace(self.heartbeat_seconds, self.max_seconds)
        while (wait := pace.wait()) is not None:
            chunk, done = pace.react(self.subscription.get(timeout=wait))
            if chunk:
                yield chunk
            if done:
                return

    def close(self) -> None:
        self.broker.unsubscribe(self.subscription)
