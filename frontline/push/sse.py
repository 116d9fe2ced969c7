"""The server-sent-event body: sync first, then messages and heartbeats, until closed."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Protocol

from .broker import CLOSED, SIGNED_OUT, SYNC, Subscription

RETRY_MS = 2000  # how long a browser waits before reconnecting a stream that ended
HEARTBEAT = b": heartbeat\n\n"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class Unsubscriber(Protocol):
    def unsubscribe(self, subscription: Subscription) -> None: ...


def check_event(event: str) -> None:
    if not event or _LINE_BREAK.search(event):
        raise ValueError(f"push: {event!r} cannot be an SSE event name")


def format_event(event: str, data: str) -> bytes:
    """One SSE event; data with line breaks becomes several `data:` lines."""
    lines = [f"event: {event}", *(f"data: {line}" for line in _LINE_BREAK.split(data))]
    return ("\n".join(lines) + "\n\n").encode()


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
        sync: bool = True,
    ):
        self.broker, self.subscription = broker, subscription
        self.heartbeat_seconds, self.max_seconds = heartbeat_seconds, max_seconds
        self.sync = sync

    def __iter__(self) -> Iterator[bytes]:
        first = format_event(*SYNC) if self.sync else HEARTBEAT  # the headers go out at once
        yield f"retry: {RETRY_MS}\n".encode() + first  # one block
        now = time.monotonic()
        deadline, last_write = now + self.max_seconds, now
        while now < deadline:
            wait = min(last_write + self.heartbeat_seconds, deadline) - now
            message = self.subscription.get(timeout=max(wait, 0.0))
            now = time.monotonic()
            if message is CLOSED:
                return
            if message is not None:
                yield format_event(*message)
                if message == SIGNED_OUT:
                    return
                last_write = now
            elif now >= last_write + self.heartbeat_seconds:
                yield HEARTBEAT
                last_write = now

    def close(self) -> None:
        self.broker.unsubscribe(self.subscription)
