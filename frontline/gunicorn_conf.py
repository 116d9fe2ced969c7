"""Gunicorn settings: threads keep ordinary requests answering while push streams stay open.

    gunicorn --config python:frontline.gunicorn_conf 'frontline:create_app()'

Every open SSE stream holds one thread of a gthread worker for as long as the phone is
connected (up to PUSH_MAX_STREAM_SECONDS). So:

* threads (FRONTLINE_THREADS, default 1200) is sized for the target of about 1,000 phones
  on one worker. The pool starts threads only when needed, and an idle stream thread waits
  on a lock, so a large number costs memory (~0.1 MB each) only while streams are open.
* Each worker refuses streams beyond threads - RESERVED_THREADS (answering 503; the page
  retries), so RESERVED_THREADS threads (at most half) are always left for ordinary requests.
* worker_connections must exceed threads: gunicorn's default (1000) would stop accepting
  at 1,000 open connections, and the difference is what it keeps for idle keep-alive ones.
* workers (FRONTLINE_WORKERS): without FRONTLINE_REDIS_URL push fans out inside one process,
  so there must be exactly one (the embedded SQLite set-up); gunicorn refuses to start with
  more. With Redis, one per core (default 2) share the streams, each up to its own cap.
* timeout does not cut streams: a gthread worker reports alive from its main loop.
* On SIGTERM the worker ends its streams at once (browsers reconnect after 2 s to a fresh
  worker) instead of holding them until graceful_timeout.

The measured figures are in docs/push.md.
"""

import gc
import os
import resource
import signal
import threading

RESERVED_THREADS = 64
KEEPALIVE_CONNECTIONS = 200

_redis = bool(os.environ.get("FRONTLINE_REDIS_URL"))
workers = int(os.environ.get("FRONTLINE_WORKERS", "2" if _redis else "1"))
worker_class = "gthread"
threads = int(os.environ.get("FRONTLINE_THREADS", "1200"))
worker_connections = threads + KEEPALIVE_CONNECTIONS
backlog = 2048
timeout = 60
graceful_timeout = 10
keepalive = 5
accesslog = "-" if os.environ.get("FRONTLINE_ACCESS_LOG") else None
# Gunicorn 25+ opens a control socket at one fixed path per user: a second instance on the
# same host (blue/green, tests) would fight over it. Nothing of ours uses it.
control_socket_disable = True


def on_starting(server):
    """Refuse several workers without Redis; allow enough open files for every stream."""
    env = {**os.environ, **server.cfg.env}
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
    """Cap streams below the thread count, and end them when the worker is told to stop."""
    app = worker.wsgi
    if "push" in getattr(app, "extensions", {}):
        if app.config.get("PUSH_MAX_STREAMS") is None:
            reserved = min(RESERVED_THREADS, worker.cfg.threads // 2)
            app.config["PUSH_MAX_STREAMS"] = worker.cfg.threads - reserved
        _end_streams_on_sigterm(worker, app)
        cap = app.config["PUSH_MAX_STREAMS"]
    else:
        cap = "no push"
    _start_scheduler(app)
    # Everything loaded so far (app, models, packs) lives for the worker's life: keep it out of
    # the collector's scans, which otherwise pause a request now and then for 150-200 ms.
    gc.freeze()
    # tests/servers.py waits for this line from every worker.
    worker.log.info(
        "Frontline worker ready: pid %s, %s threads, streams cap %s",
        os.getpid(),
        worker.cfg.threads,
        cap,
    )


def _start_scheduler(app):
    """Escalations (and other periodic guidance jobs) run in each worker; 0 turns them off."""
    interval = float(os.environ.get("FRONTLINE_SCHEDULER_SECONDS", "30"))
    if interval > 0 and "guidance_packs" in getattr(app, "extensions", {}):
        from frontline.casino import scheduler

        scheduler.start(app, interval, threading.Event())


def _end_streams_on_sigterm(worker, app):
    def stop(signum, frame):
        from frontline import push

        # Not in the signal handler itself: closing takes locks the handler may interrupt.
        threading.Thread(target=push.shutdown, args=(app,), daemon=True).start()
        worker.handle_exit(signum, frame)

    signal.signal(signal.SIGTERM, stop)
