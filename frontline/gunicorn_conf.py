"""Gunicorn settings: push streams on an event loop, ordinary requests in a thread pool.

    gunicorn --config python:frontline.gunicorn_conf 'frontline:create_app()'

The worker class is frontline.asgi.Worker (uvicorn on uvloop): an open SSE stream is a
coroutine and a subscription on the worker's event loop, not a thread (see frontline/asgi.py
and docs/push.md for the measurements). So:

* FRONTLINE_THREADS (default 16) is the pool of threads that runs Flask for pages and
  fragments, FRONTLINE_API_THREADS (default 8) the one for /api/ (integrations); both are read
  in frontline.config.flask_threads, which sizes the database pool to match. Requests beyond
  4 per thread waiting at once are answered 503 + Retry-After at once. Fewer threads than a
  thread-per-stream server: Flask's work is CPU under one GIL, and every extra runnable thread
  delays the event loop that writes the signals.
* PUSH_MAX_STREAMS (FRONTLINE_PUSH_MAX_STREAMS, default 15000) caps the streams of one worker;
  beyond it a stream is answered 503 + Retry-After (the page retries later).
* A refused or half-open connection costs nothing: closing is non-blocking on the loop, and a
  stream write that cannot go out within 10 s ends that stream.
* workers (FRONTLINE_WORKERS): without FRONTLINE_REDIS_URL push fans out inside one process,
  so there must be exactly one (the embedded SQLite set-up); gunicorn refuses to start with
  more. With Redis, one per core (default 2) share the streams.
* The open-files limit is raised to what the streams need (up to the hard limit).
* On SIGTERM the worker ends its streams at once (browsers reconnect to a fresh worker)
  instead of holding them until graceful_timeout.
"""

import gc
import os
import resource
import sys
import threading

SWITCH_SECONDS = 0.005
#: Ten thousand streams are a few hundred thousand long-lived objects: collect the young
#: generation less often, so the collector does not pause the loop every few requests.
GC_THRESHOLDS = (20_000, 20, 20)
MAX_STREAMS = int(os.environ.get("FRONTLINE_PUSH_MAX_STREAMS", "15000"))

_redis = bool(os.environ.get("FRONTLINE_REDIS_URL"))
workers = int(os.environ.get("FRONTLINE_WORKERS", "2" if _redis else "1"))
worker_class = "frontline.asgi.Worker"
worker_connections = MAX_STREAMS + 1000
backlog = 4096
timeout = 60
graceful_timeout = 10
keepalive = 5
accesslog = "-" if os.environ.get("FRONTLINE_ACCESS_LOG") else None
# Gunicorn 25+ opens a control socket at one fixed path per user: a second instance on the
# same host (blue/green, tests) would fight over it. Nothing of ours uses it.
control_socket_disable = True


def on_starting(server):
    """Refuse several workers without Redis; allow enough open files for every stream."""
    from frontline.config import ConfigError, writer_process

    env = {**os.environ, **server.cfg.env}
    try:
        writer_process(env)
    except ConfigError as error:
        raise SystemExit(f"Frontline: {error}") from None
    if server.cfg.workers > 1 and not env.get("FRONTLINE_REDIS_URL"):
        raise SystemExit(
            "Frontline: without FRONTLINE_REDIS_URL push works inside one process; "
            "run one worker (FRONTLINE_WORKERS=1) or set FRONTLINE_REDIS_URL"
        )
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = server.cfg.workers * server.cfg.worker_connections + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))


def post_worker_init(worker):
    """Cap the streams of this worker (frontline.asgi.Worker ends them on SIGTERM)."""
    app = getattr(worker, "flask", worker.wsgi)
    if "push" in getattr(app, "extensions", {}):
        if app.config.get("PUSH_MAX_STREAMS") is None:
            app.config["PUSH_MAX_STREAMS"] = MAX_STREAMS
        cap = app.config["PUSH_MAX_STREAMS"]
    else:
        cap = "no push"
    # The event loop shares one GIL with the Flask threads. Python's 5 ms switch interval
    # measured better than 1 ms here (more switches cost the CPU-bound writer more than
    # they saved the loop); it is set explicitly so the choice is visible.
    sys.setswitchinterval(SWITCH_SECONDS)
    # Everything loaded so far (app, models, packs) lives for the worker's life: keep it out of
    # the collector's scans, which otherwise pause a request now and then for 150-200 ms. Frozen
    # before the writer is forked, so the child's collections do not copy the pages it shares.
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    writer = _start_writer(app, worker.sockets)  # forked: before any thread starts
    _start_scheduler(app)
    # tests/servers.py waits for this line from every worker.
    pools = getattr(worker.wsgi, "pools", "")
    worker.log.info(
        "Frontline worker ready: pid %s, %s, streams cap %s, events stored %s",
        os.getpid(), pools, cap, f"by process {writer.process.pid}" if writer else "here",
    )  # fmt: skip


def _start_writer(app, listeners):
    """With Redis (config.writer_process), the worker stores floor events in a child process
    (casino/writer.py); None when it stores them itself."""
    from frontline.config import writer_process

    if "event_intake" in getattr(app, "extensions", {}) and writer_process(os.environ):
        from frontline.casino import writer

        return writer.WriterProcess(app, inherited=listeners)
    return None


def _start_scheduler(app):
    """Escalations (and other periodic guidance jobs) run in each worker; 0 turns them off."""
    interval = float(os.environ.get("FRONTLINE_SCHEDULER_SECONDS", "30"))
    if interval > 0 and "guidance_packs" in getattr(app, "extensions", {}):
        from frontline.casino import scheduler

        scheduler.start(app, interval, threading.Event())
