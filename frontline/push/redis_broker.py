"""Fan-out across workers and hosts: one Redis pattern subscription and one listener per process.

Publishing goes through Redis. The listener relays every message under the prefix into this
process's LocalBroker, so a thousand streams cost one Redis connection, not a thousand. If the
connection drops, the listener reconnects with backoff and then sends SYNC to every local
stream: messages published while it was away are lost, the inbox they point at is not.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.retry import Retry

from .broker import SYNC, LocalBroker, Message, PushUnavailable, Subscription, Versioned

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 2.0  # seconds to reach Redis before a stream is refused
READY_TIMEOUT = 3.0  # how long a new stream waits for a reconnecting listener
POLL_SECONDS = 0.25  # how often the listener looks up from the socket (to notice close())
PING_AFTER = 10.0  # idle seconds before the listener checks the connection is alive
PING_TIMEOUT = 5.0
BACKOFF = (0.1, 5.0)  # first and longest wait between reconnect attempts
STABLE_SECONDS = 30.0  # a connection that lasted this long starts the backoff afresh
#: An `inbox` message counts up its channel's version and carries it, in one step. A version
#: key that is missing (never used, or Redis lost it) starts from the clock, so a version a
#: phone kept from before is never mistaken for a current one.
PUBLISH_VERSIONED = """
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[3]) end
local version = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', KEYS[2],
    cjson.encode({event = ARGV[1], data = ARGV[2], id = tostring(version)}))
return version
"""


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname}" + (
        f":{parts.port}" if parts.port else ""
    )
    return urlunsplit(parts._replace(netloc=netloc))


def one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


class RedisBroker:
    """Same interface as LocalBroker; nothing connects until the first subscribe or publish."""

    def __init__(self, url: str, prefix: str = "frontline:push:"):
        self.url, self.prefix = url, prefix
        self._lock = threading.Lock()  # held while the first connection is made
        self._client_lock = threading.Lock()
        self._fresh_state()

    def _fresh_state(self) -> None:
        self.local = LocalBroker()
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: redis.Redis | None = None
        self._pid = os.getpid()
        # Names the listener's connection in CLIENT LIST (operators, and the tests that kill it).
        self.client_name = f"frontline-push-{self._pid}-{secrets.token_hex(3)}"
        self.last_error = ""
        self.reconnects = 0
        #: When the listener last came back after losing Redis (a Unix time; 0: never lost).
        self.heard_again_at = 0.0

    # -- the LocalBroker interface ------------------------------------------------------------

    def subscribe(
        self,
        channels: Iterable[str],
        subscription: Subscription | None = None,
        wait: float = READY_TIMEOUT,
    ) -> Subscription:
        """Subscribe once Redis is listening, so nothing published after this call is missed
        (waiting up to WAIT seconds for it; the event loop, which must not block, passes 0)."""
        self.wait_listening(wait)
        return self.local.subscribe(channels, subscription)

    def wait_listening(self, wait: float = READY_TIMEOUT) -> None:
        """Start the listener if need be; raise PushUnavailable if Redis stays away."""
        self._start_listener()
        if not self._ready.wait(wait):
            raise PushUnavailable(
                f"push: Redis at {redact(self.url)} is unreachable: {self.last_error}"
            )

    def listening(self) -> bool:
        """Is the listener up (so subscribing will not block)?"""
        return self._ready.is_set() and self._pid == os.getpid() and not self._stopping.is_set()

    def version(self, channel: str) -> str:
        """The channel's inbox version (from Redis the first time this process is asked)."""
        known = self.local.cached_version(channel)
        if known is not None:
            return known
        try:
            found = self._publisher().get(self._version_key(channel))
        except redis.RedisError as error:
            raise self._unreachable_now(error) from error
        self.local.learn_version(channel, int(found or 0))
        return self.local.version(channel)

    def known_version(self, channel: str) -> str | None:
        """The version if this process knows it already (else `version` asks Redis)."""
        return self.local.cached_version(channel)

    def signed_out_since(self, channels: Iterable[str], since: float) -> bool:
        """As LocalBroker's; and True for any time before the listener last came back after
        losing Redis: a sign-out published meanwhile was never heard here."""
        return since < self.heard_again_at or self.local.signed_out_since(channels, since)

    def _version_key(self, channel: str) -> str:
        return f"{self.prefix}version:{channel}"

    def unsubscribe(self, subscription: Subscription) -> None:
        self.local.unsubscribe(subscription)

    def publish(self, channel: str, event: str = "inbox", data: str = "") -> None:
        """Publish through Redis; if Redis is away, tell this process's streams and log it.

        Never raises: the caller's transaction has committed, and a stream that missed the
        signal gets a SYNC when the listener reconnects.
        """
        self.publish_many([channel], event, data)

    def publish_many(self, channels: list[str], event: str = "inbox", data: str = "") -> None:
        """`publish` to each channel in order, in one round trip to Redis (a pipeline): a
        batch of arrivals signals all of its people at once. Never raises; if Redis is away
        every channel is told in this process (a stream may then get one signal twice, which
        costs it one read)."""
        try:
            pipe = self._publisher().pipeline(transaction=False)
            for channel in channels:
                if event == SYNC.event:
                    keys = [self._version_key(channel), self.prefix + channel]
                    start = time.time_ns() // 1_000_000
                    pipe.eval(PUBLISH_VERSIONED, 2, *keys, event, data, start)
                else:
                    message = json.dumps({"event": event, "data": data})
                    pipe.publish(self.prefix + channel, message)
            pipe.execute()
        except redis.RedisError as error:
            log.warning(
                "push: publish to Redis at %s failed: %s", redact(self.url), one_line(error)
            )
            for channel in channels:
                self.local.publish(channel, event, data)

    def subscriber_count(self) -> int:
        return self.local.subscriber_count()

    def channel_count(self) -> int:
        return self.local.channel_count()

    def close(self) -> None:
        """End every stream, stop the listener, close the Redis connections."""
        self.local.close()
        with self._lock:
            self._stopping.set()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=POLL_SECONDS * 4)
        with self._client_lock:
            if self._client is not None:
                self._client.close()

    def _unreachable_now(self, error: BaseException) -> PushUnavailable:
        self.last_error = one_line(error)
        return self._unreachable()

    def _unreachable(self) -> PushUnavailable:
        return PushUnavailable(
            f"push: Redis at {redact(self.url)} is unreachable: {self.last_error}"
        )

    # -- the listener ------------------------------------------------------------------------

    def _publisher(self) -> redis.Redis:
        with self._client_lock:
            if self._client is None:
                self._client = redis.Redis.from_url(
                    self.url,
                    socket_connect_timeout=CONNECT_TIMEOUT,
                    socket_timeout=CONNECT_TIMEOUT,
                    # One retry, for a pooled connection that went stale; no long stall.
                    retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), 1),
                )
            return self._client

    def _start_listener(self) -> None:
        """Connect and subscribe in the caller's thread the first time; a failure is one line."""
        with self._lock:
            if self._pid != os.getpid():  # forked after use: the listener stayed in the parent
                self._fresh_state()
            if self._stopping.is_set():
                raise PushUnavailable("push: the broker is closed (the worker is stopping)")
            if self._thread is not None:
                return
            try:
                connection = self._connect()
            except (redis.RedisError, OSError) as error:
                self.last_error = one_line(error)
                raise self._unreachable() from error
            self._ready.set()
            self._thread = threading.Thread(
                target=self._listen, args=(connection,), name="frontline-push-redis", daemon=True
            )
            self._thread.start()

    def _connect(self):
        """A dedicated connection with the pattern subscription confirmed by Redis."""
        pool = redis.ConnectionPool.from_url(
            self.url,
            protocol=2,  # pub/sub replies as plain arrays
            client_name=self.client_name,
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_keepalive=True,
            retry=Retry(NoBackoff(), 0),  # reconnecting is the listener's job, visibly
        )
        connection = pool.make_connection()
        try:
            connection.connect()
            connection.send_command("PSUBSCRIBE", self.prefix + "*")
            reply = connection.read_response(timeout=CONNECT_TIMEOUT)
            if not (isinstance(reply, list) and reply[0] == b"psubscribe"):
                raise redis.ConnectionError(f"unexpected reply to PSUBSCRIBE: {reply!r}")
        except BaseException:
            connection.disconnect()
            raise
        return connection

    def _listen(self, connection) -> None:
        delay = BACKOFF[0]
        try:
            while not self._stopping.is_set():
                if connection is None:
                    connection = self._reconnect()
                if connection is not None:
                    started = time.monotonic()
                    self._relay_until_lost(connection)
                    connection = None
                    if time.monotonic() - started > STABLE_SECONDS:
                        delay = BACKOFF[0]  # a connection that flaps keeps backing off
                self._stopping.wait(delay)
                delay = min(delay * 2, BACKOFF[1])
        finally:
            if connection is not None:
                connection.disconnect()

    def _relay_until_lost(self, connection) -> None:
        try:
            self._relay(connection)
        except (redis.RedisError, OSError) as error:
            self._lost(error)
            log.warning("push: lost Redis at %s: %s", redact(self.url), self.last_error)
        except Exception as error:  # a bug here must not leave the process deaf for good
            self._lost(error)
            log.exception("push: Redis listener failed; reconnecting")
        finally:
            connection.disconnect()

    def _reconnect(self):
        """A new subscribed connection, then SYNC to every stream; None if Redis is away."""
        try:
            connection = self._connect()
        except (redis.RedisError, OSError) as error:
            self.last_error = one_line(error)
            return None
        self.reconnects += 1
        log.warning("push: Redis listener reconnected; every stream resyncs")
        self.heard_again_at = time.time()
        self._ready.set()
        self.local.broadcast(SYNC)  # they may have missed messages meanwhile
        return connection

    def _lost(self, error: BaseException) -> None:
        self._ready.clear()
        self.local.forget_versions()  # what is published meanwhile is not heard here
        self.last_error = one_line(error)

    def _relay(self, connection) -> None:
        """Pass messages to local streams until the connection fails or the broker closes."""
        last_heard, ping_sent = time.monotonic(), 0.0
        while not self._stopping.is_set():
            now = time.monotonic()
            if connection.can_read(timeout=POLL_SECONDS):
                reply = connection.read_response()
                last_heard, ping_sent = time.monotonic(), 0.0
                if reply[0] == b"pmessage":
                    self._deliver(reply[2], reply[3])
            elif ping_sent and now - ping_sent > PING_TIMEOUT:
                raise redis.ConnectionError("no answer to PING")
            elif not ping_sent and now - last_heard > PING_AFTER:
                connection.send_command("PING")
                ping_sent = now

    def _deliver(self, channel: bytes, payload: bytes) -> None:
        try:
            fields = json.loads(payload)
            event, data = str(fields["event"]), str(fields["data"])
            message = Message(event, data)
            if "id" in fields:
                message = Versioned(event, data, str(fields["id"]))
        except (ValueError, KeyError, TypeError):
            log.warning("push: ignored a malformed message on %r", channel)
            return
        self.local.deliver(channel.decode()[len(self.prefix) :], message)
