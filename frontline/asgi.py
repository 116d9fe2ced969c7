"""What gunicorn serves: push streams on the event loop, every other request in Flask.

    gunicorn --config python:frontline.gunicorn_conf 'frontline:create_app()'

The worker class (`Worker`, a uvicorn worker) wraps the Flask app in `Frontline`, an ASGI app:

* A stream route (any endpoint named `*.stream`) whose request carries a valid stream ticket
  (`?t=`, see push.ticket) is served here, on the loop: no thread, no database. A stream is
  one subscription and a coroutine (tens of kB), so one worker holds ten thousand.
* A stream without a good ticket (none, expired, its session signed out) goes through its
  Flask view as always (session cookie, role, database); the view hands the grant back
  (push.GRANT) and the stream itself still runs here.
* Everything else runs in Flask on a pool of FRONTLINE_THREADS threads (a2wsgi); the JSON API
  (/api/, what integrations send) on a pool of its own (FRONTLINE_API_THREADS), so an
  arrival never queues behind the inbox fetches its own signal set off. When a pool already
  has 4 requests per thread running or waiting, a new one is answered 503 with Retry-After
  at once instead of waiting seconds in the queue. Every 503 names the time it took in this
  worker (`Server-Timing: app;dur=<ms>`, from the request reaching the app to its answer),
  so a client can tell the server's part of a refusal from its own connect and queueing.

Wire format and stream rules are push/sse.py's, shared with the WSGI stream (push.stream).
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from urllib.parse import parse_qs

from a2wsgi import WSGIMiddleware
from flask import Flask
from gunicorn.arbiter import Arbiter
from uvicorn.server import Server
from uvicorn_worker import UvicornWorker

from . import push
from .config import flask_threads
from .push.broker import CLOSED, LoopSubscription, PushUnavailable
from .push.sse import Pace, opening, shown_version

#: A stream write that cannot go out for this long (a phone gone without a word, its socket
#: buffer full) ends the stream: the connection is closed from this side.
SEND_TIMEOUT = 10.0
#: Requests in Flask (running or queued) per thread beyond which new ones are refused.
QUEUE_PER_THREAD = 4
STREAM_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    *((k.lower().encode(), v.encode()) for k, v in push.STREAM_HEADERS.items()),
]
#: Headers of the Flask answer a granted stream does not take over (they describe that answer).
OWN_HEADERS = {name for name, _ in STREAM_HEADERS} | {
    *(b"content-length", b"content-encoding", b"transfer-encoding", b"vary", b"date", b"server")
}


class Frontline:
    """The ASGI app: stream routes natively, the rest through the Flask app in threads."""

    def __init__(self, flask: Flask, threads: int, api_threads: int) -> None:
        self.flask = flask
        self.pages = Pool(flask, threads)
        self.api = Pool(flask, api_threads)
        self.pools = f"{threads} page threads, {api_threads} API threads"
        self.streams = 0
        self.stream_paths = {
            rule.rule for rule in flask.url_map.iter_rules() if rule.endpoint.endswith(".stream")
        }

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http" and scope["path"] in self.stream_paths:
            await self._stream(scope, receive, send)
        elif scope["type"] == "http":
            await self._flask(scope, receive, send)

    def close_streams(self) -> None:
        """End every stream at once (the worker is stopping; phones reconnect elsewhere)."""
        threading.Thread(target=push.shutdown, args=(self.flask,), daemon=True).start()

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self._listen_from_the_start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _listen_from_the_start(self) -> None:
        """With Redis, hear every sign-out from the start, not from this worker's first stream:
        a ticket of a session signed out meanwhile must not be taken here."""
        broker = push.broker(self.flask)
        if hasattr(broker, "wait_listening"):
            try:
                await asyncio.get_running_loop().run_in_executor(None, broker.wait_listening)
            except PushUnavailable as error:  # streams are refused until Redis is back
                self.flask.logger.warning("%s", error)

    async def _flask(self, scope, receive, send) -> None:
        pool = self.api if scope["path"].startswith("/api/") else self.pages
        await pool(scope, receive, timing_refusals(send))

    async def _stream(self, scope, receive, send) -> None:
        query = parse_qs(scope["query_string"].decode("latin-1"))
        ticket = query.get("t", [""])[0]
        channels = push.channels_of_ticket(self.flask, ticket) if ticket else None
        if channels is not None:
            last_event_id = dict(scope["headers"]).get(b"last-event-id", b"").decode("latin-1")
            shown = shown_version(last_event_id or None, query.get("v", [None])[0])
            headers = STREAM_HEADERS
        else:
            grant = await self._grant(scope, receive, send)
            if not grant:
                return  # Flask answered: sign in, forbidden, busy
            channels, shown = grant["channels"], grant["shown"]
            headers = STREAM_HEADERS + grant["headers"]
        await self._serve_stream(channels, shown, receive, send, headers)

    async def _grant(self, scope, receive, send) -> dict:
        """Run the stream's Flask view: it authenticates, and hands the grant back here."""
        grant: dict = {}

        async def send_unless_granted(message) -> None:
            if not grant:
                await send(message)
            elif message["type"] == "http.response.start":  # what Flask added (security)
                grant["headers"] = [(k, v) for k, v in message["headers"] if k not in OWN_HEADERS]

        token = push.GRANT.set(grant)
        try:
            await self._flask(scope, receive, send_unless_granted)
        finally:
            push.GRANT.reset(token)
        return grant

    async def _serve_stream(self, channels: list[str], shown, receive, send, headers) -> None:
        config = self.flask.config
        limit = config.get("PUSH_MAX_STREAMS")
        if limit is not None and self.streams >= limit:
            await refuse(send, f"push: this worker already holds {limit} streams")
            return
        broker, loop = push.broker(self.flask), asyncio.get_running_loop()
        subscription = LoopSubscription(channels, loop)
        try:
            if not getattr(broker, "listening", lambda: True)():
                await loop.run_in_executor(None, broker.wait_listening)
            broker.subscribe(channels, subscription)
        except PushUnavailable as error:
            await refuse(send, str(error))
            return
        self.streams += 1
        watcher = loop.create_task(_end_on_disconnect(receive, subscription))
        try:
            current = broker.known_version(channels[0])
            if current is None:
                current = await loop.run_in_executor(None, broker.version, channels[0])
            first, _ = opening(shown, current)
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await _write(send, first)
            await self._pump(subscription, send, config)
            await _write(send, b"", more=False)
        except (TimeoutError, PushUnavailable, OSError):
            pass  # a phone that stopped reading, or Redis gone: the connection closes here
        finally:
            self.streams -= 1
            watcher.cancel()
            broker.unsubscribe(subscription)

    async def _pump(self, subscription: LoopSubscription, send, config) -> None:
        pace = Pace(
            float(config.get("PUSH_HEARTBEAT_SECONDS", 15)),
            float(config.get("PUSH_MAX_STREAM_SECONDS", 1800)),
        )
        while (wait := pace.wait()) is not None:
            chunk, done = pace.react(await subscription.next(wait))
            if chunk:
                await _write(send, chunk)
            if done:
                return


class Pool:
    """Flask on a pool of threads, refusing work (503) beyond QUEUE_PER_THREAD per thread."""

    def __init__(self, flask: Flask, threads: int) -> None:
        self.wsgi = WSGIMiddleware(flask, workers=threads)
        self.limit, self.busy = threads * QUEUE_PER_THREAD, 0

    async def __call__(self, scope, receive, send) -> None:
        if self.busy >= self.limit:
            await refuse(send, f"busy: {self.busy} requests are waiting; try again")
            return
        self.busy += 1
        try:
            await self.wsgi(scope, receive, send)
        finally:
            self.busy -= 1


async def _write(send, body: bytes, more: bool = True) -> None:
    async with asyncio.timeout(SEND_TIMEOUT):
        await send({"type": "http.response.body", "body": body, "more_body": more})


async def _end_on_disconnect(receive, subscription: LoopSubscription) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    subscription.put(CLOSED)


def timing_refusals(send):
    """SEND, adding to a 503 how long this worker took to give it (Server-Timing, in ms)."""
    started = time.perf_counter()

    async def timed(message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 503:
            took = f"app;dur={(time.perf_counter() - started) * 1000:.2f}".encode()
            headers = [*message.get("headers", ()), (b"server-timing", took)]
            message = {**message, "headers": headers}
        await send(message)

    return timed


async def refuse(send, reason: str) -> None:
    """503 with Retry-After, at once: the client comes back later (the same ids are safe)."""
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"retry-after", push.retry_after().encode()),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": f"{reason}\n".encode()})


class Worker(UvicornWorker):
    """gunicorn's worker: uvicorn (uvloop, httptools) serving `Frontline` around the Flask app."""

    CONFIG_KWARGS = {"loop": "uvloop", "http": "httptools", "lifespan": "on"}

    def load_wsgi(self) -> None:
        super().load_wsgi()
        self.flask = self.wsgi
        pages, api = flask_threads(os.environ)
        self.wsgi = Frontline(self.flask, threads=pages, api_threads=api)

    async def _serve(self) -> None:
        self.config.app = self.wsgi
        server = Server(config=self.config)
        stop = server.handle_exit

        def handle_exit(sig, frame) -> None:
            self.wsgi.close_streams()  # else uvicorn waits for streams to end by themselves
            stop(sig, frame)

        server.handle_exit = handle_exit
        self._install_sigquit_handler()
        await server.serve(sockets=self.sockets)
        if not server.started:
            sys.exit(Arbiter.WORKER_BOOT_ERROR)
