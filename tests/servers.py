"""Real servers for tests and benches: the app in a thread, or under gunicorn in a subprocess.

In this process, over real HTTP (werkzeug's threaded server; the app fixture's database)::

    from tests.servers import LiveServer

    with LiveServer(app) as server:
        requests.get(f"{server.url}/login")

Under gunicorn, exactly as deployed (`frontline.gunicorn_conf`), on a free 127.0.0.1 port::

    from tests.servers import GunicornServer

    with GunicornServer(database_url) as server:                      # SQLite: one worker
        requests.get(f"{server.url}/login")
    with GunicornServer(postgres_url, redis_url=redis_url, workers=2,  # several workers
                        env={"FRONTLINE_THREADS": "64"}) as server:
        ...

The subprocess sees only the FRONTLINE_* variables given here (the caller's are dropped),
plus a test secret key. The schema must exist first: `db.create_all()` in an app made with
the same URL, or `frontline db upgrade`. `app=` names another factory, for instance
`tests.servers:push_test_app(heartbeat_seconds=0.5)`: the real app plus the test-only
`/_test/...` push endpoints below (stream, publish, stats), which benches can drive too.
Entering waits until every worker has logged "Frontline worker ready" and HTTP answers;
leaving sends SIGTERM (streams end at once) and waits. `server.output()` is the log.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests
from flask import Blueprint, Flask, jsonify, request
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
TEST_SECRET = "test-secret-key-that-is-long-enough-for-tests"


class LiveServer:
    """The app served over real HTTP from a thread of this process."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


class GunicornServer:
    """The app under gunicorn in a subprocess; `url` is its base URL once entered."""

    def __init__(
        self,
        database_url: str,
        *,
        redis_url: str | None = None,
        workers: int = 1,
        env: Mapping[str, str] | None = None,
        app: str = "frontline:create_app()",
        start_timeout: float = 60.0,
    ):
        self.workers, self.app, self.start_timeout = workers, app, start_timeout
        self.env = {
            key: value for key, value in os.environ.items() if not key.startswith("FRONTLINE_")
        }
        self.env.update(
            PYTHONPATH=str(ROOT),
            FRONTLINE_DATABASE_URL=database_url,
            FRONTLINE_SECRET_KEY=TEST_SECRET,
            FRONTLINE_WORKERS=str(workers),
        )
        if redis_url:
            self.env["FRONTLINE_REDIS_URL"] = redis_url
        self.env.update(env or {})
        self.url = ""
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> GunicornServer:
        # The port is bound here and handed over, so no other process can take it meanwhile.
        listener = socket.create_server(("127.0.0.1", 0), backlog=2048)
        self.url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        self._log = tempfile.TemporaryFile()
        command = [
            *(sys.executable, "-m", "gunicorn", "--config", "python:frontline.gunicorn_conf"),
            *("--workers", str(self.workers), "--bind", f"fd://{listener.fileno()}", self.app),
        ]
        with listener:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                pass_fds=(listener.fileno(),),
            )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        """SIGTERM, then wait for gunicorn to exit; safe to call twice."""
        if self._log.closed:
            return
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._final_output = self.output()
        self._log.close()

    def output(self) -> str:
        """Everything gunicorn and the app logged so far (kept after the server stops)."""
        if self._log.closed:
            return self._final_output
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def worker_pids(self) -> list[int]:
        return [int(pid) for pid in re.findall(r"Frontline worker ready: pid (\d+)", self.output())]

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.output()}")
            if len(self.worker_pids()) >= self.workers and self._answers():
                return
            time.sleep(0.1)
        raise RuntimeError(
            f"gunicorn did not answer within {self.start_timeout} s:\n{self.output()}"
        )

    def _answers(self) -> bool:
        try:
            requests.get(self.url, timeout=2, allow_redirects=False).close()
        except requests.ConnectionError:
            return False
        return True


# -- reading a stream ----------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """One SSE block as a browser would see it; a heartbeat is a comment with no event."""

    event: str = ""
    data: str = ""
    comment: str = ""
    retry: int | None = None
    at: float = 0.0  # time.monotonic() when its last line arrived


def run_loop(coroutine: Coroutine):
    """Run COROUTINE to its end on a new event loop in a thread of its own, and return its
    result: after a browser test, Playwright's loop holds the main thread (asyncio.run there
    would refuse)."""
    import asyncio

    with ThreadPoolExecutor(1) as own_thread:
        return own_thread.submit(asyncio.run, coroutine).result()


def read_events(response: requests.Response) -> Iterator[Event]:
    """The events of a `requests.get(..., stream=True)` SSE response, as they arrive."""
    fields: dict = {}
    data: list[str] = []
    for line in response.iter_lines(chunk_size=None, decode_unicode=True):
        if line.startswith(":"):
            yield Event(comment=line[1:].strip(), at=time.monotonic())
        elif line:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                data.append(value)
            elif name == "retry":
                fields["retry"] = int(value)
            else:
                fields[name] = value
        elif data:  # like a browser: a block without data dispatches nothing
            event = fields.get("event", "message")
            yield Event(event, "\n".join(data), retry=fields.get("retry"), at=time.monotonic())
            fields, data = {}, []


# -- test-only push endpoints (never registered by production code) ------------------------


def add_push_test_routes(app: Flask) -> None:
    """`/_test/stream?channel=a&channel=b`, `POST /_test/publish`, `/_test/stats`."""
    from frontline import push
    from frontline.extensions import csrf

    bp = Blueprint("push_test", __name__, url_prefix="/_test")

    @bp.get("/stream")
    def stream():
        response = push.stream(request.args.getlist("channel") or ["test"])
        response.headers["X-Worker-Pid"] = str(os.getpid())
        return response

    @bp.post("/publish")
    def publish():
        form = request.form
        push.publish(form["channel"], form.get("event", "inbox"), form.get("data", ""))
        return "", 204

    @bp.get("/stats")
    def stats():
        broker = push.broker()
        return jsonify(
            pid=os.getpid(),
            subscribers=broker.subscriber_count(),
            channels=broker.channel_count(),
            reconnects=getattr(broker, "reconnects", 0),
        )

    csrf.exempt(bp)
    app.register_blueprint(bp)


def push_test_app(
    heartbeat_seconds: float = 15, redis_prefix: str | None = None, **config
) -> Flask:
    """The real app with push and the test-only endpoints (a gunicorn `app=` factory).

    `redis_prefix` left out keeps FRONTLINE_PUSH_REDIS_PREFIX (or the default)."""
    from frontline import create_app, push

    overrides = {"PUSH_HEARTBEAT_SECONDS": heartbeat_seconds, **config}
    if redis_prefix is not None:
        overrides["PUSH_REDIS_PREFIX"] = redis_prefix
    app = create_app(overrides)
    if "push" not in app.extensions:  # until create_app calls push.init_app itself
        push.init_app(app)
    add_push_test_routes(app)
    return app
