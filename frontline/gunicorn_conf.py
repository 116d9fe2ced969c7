"""Gunicorn settings: threads keep ordinary requests answering while push streams stay open.

The embedded set-up (SQLite, in-process push) must run one process; with
FRONTLINE_REDIS_URL set, push fans out through Redis and workers can be added.
"""

import os

workers = int(os.environ.get("FRONTLINE_WORKERS", "1"))
worker_class = "gthread"
threads = int(os.environ.get("FRONTLINE_THREADS", "32"))
timeout = 60
graceful_timeout = 10
keepalive = 5
accesslog = "-" if os.environ.get("FRONTLINE_ACCESS_LOG") else None
