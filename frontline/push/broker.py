"""In-process fan-out: one bounded queue per subscription, safe to use from many threads."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import NamedTuple


class PushUnavailable(RuntimeError):
    """Push cannot take a stream right now (Redis away, broker closed, too many streams)."""


class Message(NamedTuple):
    event: str
    data: str


class Versioned(NamedTuple):
    """An `inbox` message with its channel's inbox version after it (the SSE `id:`)."""

    event: str
    data: str
    id: str


def version_of(message: Message | Versioned) -> str:
    return message.id if isinstance(message, Versioned) else ""


#: "Read your inbox from the database": sent on every connect and whenever signals may be lost.
SYNC = Message("inbox", "sync")
#: "Your session has ended": the stream's last event. No page listens for it (the tab that
#: signed out is on its way to the sign-in page already); another tab finds out at its next
#: tap or reconnect, which are sent to sign-in.
SIGNED_OUT = Message("session", "ended")
#: Not sent to the client: tells a stream to end (worker stopping).
CLOSED = Message("", "closed")
#: A subscriber this far behind is sent one SYNC instead of the backlog (the inbox is the truth).
MAX_BACKLOG = 256
#: How long a sign-out is remembered: stream tickets older than it are refused anyway.
REVOKED_SECONDS = 3600.0


class Subscription:
    """Messages for one stream, in publish order; `get` blocks until one arrives or time is up."""

    def __init__(self, channels: Iterable[str]):
        self.channels = frozenset(channels)
        self._queue: deque[Message] = deque()
        self._ready = threading.Condition(threading.Lock())
        self.closed = False

    def put(self, message: Message) -> None:
        with self._ready:
            if self.closed:
                return
            if message is CLOSED:
                self.closed = True
                self._queue.clear()
            elif len(self._queue) >= MAX_BACKLOG:
                self._queue.clear()
                message = SYNC
            self._queue.append(message)
            self._ready.notify()

    def get(self, timeout: float) -> Message | None:
        """The next message, or None after `timeout` seconds without one."""
        with self._ready:
            if not self._queue:
                self._ready.wait(timeout)
            return self._queue.popleft() if self._queue else None


class LoopSubscription(Subscription):
    """A subscription read by a coroutine: `put` from any thread wakes the event loop."""

    def __init__(self, channels: Iterable[str], loop: asyncio.AbstractEventLoop):
        super().__init__(channels)
        self._loop, self._wake = loop, asyncio.Event()

    def put(self, message: Message) -> None:
        super().put(message)
        with contextlib.suppress(RuntimeError):  # the loop has closed: the worker is stopping
            self._loop.call_soon_threadsafe(self._wake.set)

    async def next(self, timeout: float) -> Message | None:
        """The next message, or None after `timeout` seconds without one."""
        with self._ready:
            if self._queue:
                return self._queue.popleft()
            self._wake.clear()
        try:
            async with asyncio.timeout(timeout):
                await self._wake.wait()
        except TimeoutError:
            return None
        with self._ready:
            return self._queue.popleft() if self._queue else None


class LocalBroker:
    """Fan-out to the subscriptions of this process only (the embedded, one-worker set-up)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._channels: dict[str, set[Subscription]] = {}
        self._closed = False
        # channel -> its inbox version: counts `inbox` messages from a start that grows with
        # the clock, so a version from before a restart is never mistaken for a current one.
        self._versions: dict[str, int] = {}
        self._base = time.time_ns() // 1_000_000
        self._revoked: dict[str, float] = {}  # channel -> when SIGNED_OUT went to it

    def subscribe(
        self, channels: Iterable[str], subscription: Subscription | None = None, wait: float = 0
    ) -> Subscription:
        """Subscribe (WAIT: how long RedisBroker may wait for Redis; this one never waits)."""
        subscription = subscription or Subscription(channels)
        if not subscription.channels:
            raise ValueError("push: a stream needs at least one channel")
        with self._lock:
            if self._closed:
                raise PushUnavailable("push: the broker is closed (the worker is stopping)")
            for channel in subscription.channels:
                self._channels.setdefault(channel, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget a subscription; safe to call twice."""
        with self._lock:
            for channel in subscription.channels:
                subscribers = self._channels.get(channel)
                if subscribers is None:
                    continue
                subscribers.discard(subscription)
                if not subscribers:
                    del self._channels[channel]

    def publish(self, channel: str, event: str = "inbox", data: str = "") -> None:
        if event != SYNC.event:
            self.deliver(channel, Message(event, data))
            return
        with self._lock:
            number = self._versions.get(channel, self._base) + 1
            self._versions[channel] = number
        self.deliver(channel, Versioned(event, data, str(number)))

    def publish_many(self, channels: list[str], event: str = "inbox", data: str = "") -> None:
        for channel in channels:
            self.publish(channel, event, data)

    def deliver(self, channel: str, message: Message | Versioned) -> None:
        with self._lock:
            self._note(channel, message)
            subscribers = list(self._channels.get(channel, ()))
        for subscription in subscribers:
            subscription.put(message)

    def _note(self, channel: str, message: Message | Versioned) -> None:
        """Keep the channel's version and sign-outs (called holding the lock)."""
        if version_of(message).isdigit():
            self._versions[channel] = max(self._versions.get(channel, 0), int(message.id))
        elif message == SIGNED_OUT:
            now = time.time()
            self._revoked[channel] = now
            if len(self._revoked) > 1000:  # forget the ones no ticket can predate any more
                self._revoked = {
                    c: t for c, t in self._revoked.items() if now - t < REVOKED_SECONDS
                }

    def version(self, channel: str) -> str:
        """The channel's inbox version: it changes with every `inbox` message to the channel."""
        with self._lock:
            return str(self._versions.get(channel, self._base))

    def known_version(self, channel: str) -> str | None:
        """The version without waiting on anything (this broker always knows it)."""
        return self.version(channel)

    def cached_version(self, channel: str) -> str | None:
        with self._lock:
            found = self._versions.get(channel)
        return None if found is None else str(found)

    def forget_versions(self) -> None:
        """Drop every version kept (RedisBroker: they are read from Redis again when asked)."""
        with self._lock:
            self._versions.clear()

    def learn_version(self, channel: str, version: int) -> None:
        with self._lock:
            self._versions[channel] = max(self._versions.get(channel, 0), version)

    def signed_out_since(self, channels: Iterable[str], since: float) -> bool:
        """Did SIGNED_OUT go to any of these channels at or after `since` (a Unix time)?"""
        with self._lock:
            return any(self._revoked.get(c, -1.0) >= since for c in channels)

    def broadcast(self, message: Message) -> None:
        """Send a message to every subscription of this process, once each."""
        for subscription in self.subscriptions():
            subscription.put(message)

    def subscriptions(self) -> set[Subscription]:
        with self._lock:
            return {s for subscribers in self._channels.values() for s in subscribers}

    def subscriber_count(self) -> int:
        return len(self.subscriptions())

    def channel_count(self) -> int:
        with self._lock:
            return len(self._channels)

    def close(self) -> None:
        """End every open stream and refuse new ones (the worker is stopping)."""
        with self._lock:
            self._closed = True
        self.broadcast(CLOSED)
