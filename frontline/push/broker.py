"""In-process fan-out: one bounded queue per subscription, safe to use from many threads."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from typing import NamedTuple


class PushUnavailable(RuntimeError):
    """Push cannot take a stream right now (Redis away, broker closed, too many streams)."""


class Message(NamedTuple):
    event: str
    data: str


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


class LocalBroker:
    """Fan-out to the subscriptions of this process only (the embedded, one-worker set-up)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._channels: dict[str, set[Subscription]] = {}
        self._closed = False

    def subscribe(self, channels: Iterable[str]) -> Subscription:
        subscription = Subscription(channels)
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
        self.deliver(channel, Message(event, data))

    def deliver(self, channel: str, message: Message) -> None:
        with self._lock:
            subscribers = list(self._channels.get(channel, ()))
        for subscription in subscribers:
            subscription.put(message)

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
