"""What gunicorn serves: push streams on the event loop, every other request in Flask.

    gunicorn --config python:frontline.gunicorn_conf 'frontline:create_app()'

The worker class (`Worker`, a uvicorn worker) wraps the Flask app in `Frontline`, an ASGI app:

* A stream route (any endpoint named `*.stream`) whose request carries a valid stream ticket
  (`?t=`, see push.ticket) is served here, on the loop: no thread, no database. A stream is
  one subscription and a coroutine (tens of kB), so one worker holds ten thousand.
* A stream without a good ticket (none, expired, its session signed out) goes through its
  Flask view as always (session cookie, role, database); the view hands the grant back
  (push.GRANT) and the stream itself still runs here.
* Everything else runs in Flask on a pool of FRONTLINE_THREADS threads (`Pool`); the JSON API
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
import contextvars
import io
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs

from a2wsgi.wsgi import build_environ
from flask import Flask
from gunicorn.arbiter import Arbiter
from uvicorn.server import Server
from uvicorn_worker import UvicornWorker

from . import push
from .config import flask_threads
from .push.broker import CLOSED, LoopSubscription, PushUnavailable
from .push.sse import Pace, opening, shown_version
from .security import FIXED_HEADERS, SUBRESOURCE_HEADERS

#: A stream write that cannot go out for this long (a phone gone without a word, its socket
#: buffer full) ends the stream: the connection is closed from this side.
SEND_TIMEOUT = 10.0
#: Requests in Flask (running or queued) per thread beyond which new ones are refused.
QUEUE_PER_THREAD = 4
#: The largest request body read when the app sets no MAX_CONTENT_LENGTH (imports are CSV).
MAX_BODY = 64 * 1024 * 1024
STREAM_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    *((k.lower().encode(), v.encode()) for k, v in push.STREAM_HEADERS.items()),
    # What frontline/security.py gives every answer that is not a page (nosniff, CORP): a
    # stream opened by ticket never passes through Flask's after_request.
    *((k.lower().encode(), FIXED_HEADERS[k].encode()) for k in SUBRESOURCE_HEADERS),
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
        elif (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"] in self.stream_paths
        ):
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
            if message["type"] == "http.response.start":
                if grant and message["status"] == 204:  # granted: keep what Flask added
                    grant["headers"] = [
                        (k, v) for k, v in message["headers"] if k not in OWN_HEADERS
                    ]
                else:  # not granted, or the request failed after the view granted it
                    grant.clear()
            if not grant:
                await send(message)

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
        self.streams += 1  # counted from here, so streams waiting for Redis count as well
        try:
            try:
                if not getattr(broker, "listening", lambda: True)():
                    await loop.run_in_executor(None, broker.wait_listening)
                broker.subscribe(channels, subscription, wait=0)  # never blocks the loop
                current = broker.known_version(channels[0])
                if current is None:
                    current = await loop.run_in_executor(None, broker.version, channels[0])
            except PushUnavailable as error:
                self.flask.logger.warning("stream refused: %s", error)
                await refuse(send, "push is unavailable right now")
                return
            await self._stream_to(subscription, receive, send, headers, opening(shown, current)[0])
        finally:
            self.streams -= 1
            broker.unsubscribe(subscription)

    async def _stream_to(self, subscription, receive, send, headers, first: bytes) -> None:
        """Answer 200 and relay the subscription's messages until either side ends it."""
        watcher = asyncio.get_running_loop().create_task(_end_on_disconnect(receive, subscription))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await _write(send, first)
            await self._pump(subscription, send, self.flask.config)
            await _write(send, b"", more=False)
        except (TimeoutError, PushUnavailable, OSError):
            pass  # a phone that stopped reading, or Redis gone: the connection closes here
        finally:
            watcher.cancel()

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
    """Flask on a pool of threads; work beyond QUEUE_PER_THREAD per thread is refused (503).

    The loop reads a request's body before the request takes a thread, and sends the answer
    after the thread is done with it: a thread never waits for the loop. (a2wsgi's own
    middleware hands every piece over and waits for the loop to take it: the body, the
    status, each chunk, the end; four waits per request, each for a loop that 10,000
    streams keep busy, while the request holds its thread.) Answers here are pages,
    fragments and JSON, held whole in memory; the streams do not come here."""

    def __init__(self, flask: Flask, threads: int) -> None:
        self.flask = flask
        self.threads = ThreadPoolExecutor(threads, thread_name_prefix="flask")
        self.limit, self.busy = threads * QUEUE_PER_THREAD, 0

    async def __call__(self, scope, receive, send) -> None:
        if self.busy >= self.limit:
            await refuse(send, f"busy: {self.busy} requests are waiting; try again")
            return
        self.busy += 1
        try:
            body = await _body(receive, self.flask.config.get("MAX_CONTENT_LENGTH") or MAX_BODY)
            if body is None:
                await _plain(send, 413, "The request body is too large.")
                return
            environ = build_environ(scope, io.BytesIO(body))
            loop, context = asyncio.get_running_loop(), contextvars.copy_context()
            status, headers, answer = await loop.run_in_executor(
                self.threads, context.run, _wsgi, self.flask, environ
            )
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": answer})
        finally:
            self.busy -= 1


async def _body(receive, limit: int) -> bytes | None:
    """The whole request body, or None once it passes LIMIT bytes."""
    parts, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        part = message.get("body", b"")
        size += len(part)
        if size > limit:
            return None
        parts.append(part)
        more = message.get("more_body", False)
    return b"".join(parts)


def _wsgi(app: Flask, environ: dict) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Run the WSGI app in this thread: (status, headers, body), the body read whole."""
    started: list = []
    chunks: list[bytes] = []

    def start_response(status: str, headers, exc_info=None):
        if exc_info is not None and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [status, headers]
        return chunks.append  # WSGI's write()

    iterable = app(environ, start_response)
    try:
        chunks.extend(iterable)
    finally:
        if hasattr(iterable, "close"):
            iterable.close()
    status, headers = started
    encoded = [(k.strip().lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    return int(status.split(" ", 1)[0]), encoded, b"".join(chunks)


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
    await _plain(send, 503, reason, [(b"retry-after", push.retry_after().encode())])


async def _plain(send, status: int, text: str, headers: list | None = None) -> None:
    """A short plain-text answer given here, without Flask."""
    headers = [(b"content-type", b"text/plain; charset=utf-8"), *(headers or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": f"{text}\n".encode()})


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
