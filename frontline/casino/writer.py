"""The event writer in a process of its own: each gunicorn worker's, with Redis.

In a gunicorn worker the event loop (ten thousand streams), the Flask threads (inbox fetches)
and the writer thread share one GIL. Storing a batch is a dozen round trips to PostgreSQL (or
SQLite calls that let the GIL go), and after each one the writer waits to take the GIL back
from whoever holds it: at 150 arrivals/s a batch took 65-180 ms in the worker, against 3-4 ms
per arrival alone (docs/push.md). So each worker forks one child that does nothing else: the
worker's writer thread (intake.py: queueing, batching, the brake, signalling the phones, the
answers) hands it each batch over a pipe and waits once for the outcomes.

The child is forked when the worker has loaded the app and has no other thread yet
(gunicorn's post_worker_init), so it shares the app's memory with the worker and runs the same
`intake.store_batch` on the same configuration. It only stores: the receipts it sends back name
whose phones to signal, and the worker signals them, through its own broker (in-process or
Redis). `config.writer_process` decides: on with Redis, where several workers share the cores
with their writers (measured faster), off for the embedded single worker (its thread measured
better under overload than a process competing with it for the cores). The child ends when
the worker does: it reads end-of-file on its pipe (the worker gone, even killed) and ignores
Ctrl-C, which is the worker's to handle.

If the child dies, the batch it held is answered busy (503 + Retry-After: the ids make sending
again safe; it may have been stored), and the worker stores events in its own thread from
then on (forking again from a worker whose threads may hold locks is not safe), logging it.
"""

from __future__ import annotations

import logging
import multiprocessing
import pickle
import signal
import socket
from collections.abc import Iterable
from multiprocessing.connection import Connection

from flask import Flask

from ..extensions import db
from .arrivals import Incoming, Outcome
from .intake import Failed, Intake, IntakeBusy, store_batch

log = logging.getLogger(__name__)


class WriterProcess:
    """A child process storing batches for APP's intake (`Intake.store`) from now on.

    Make it before the process starts any thread (gunicorn's post_worker_init); INHERITED:
    sockets the child must not keep open (the worker's listeners)."""

    def __init__(self, app: Flask, inherited: Iterable[socket.socket] = ()) -> None:
        self.intake: Intake = app.extensions["event_intake"]
        context = multiprocessing.get_context("fork")
        self._pipe, theirs = context.Pipe()
        self.process = context.Process(
            target=serve,
            args=(app, theirs, [self._pipe, *inherited]),
            name="frontline-writer",
            daemon=True,  # ended by multiprocessing when the worker exits
        )
        self.process.start()
        theirs.close()
        self.intake.store = self.store

    def store(self, items: list[Incoming]) -> list[Outcome | Failed]:
        """What `intake.store_batch` answers for ITEMS, stored by the child."""
        try:
            self._pipe.send(items)
            return self._pipe.recv()
        except (EOFError, OSError) as error:
            self.stop()
            self.intake.store = store_batch
            log.error(
                "the event writer process stopped (exit code %s: %s); this worker stores "
                "events itself from now on", self.process.exitcode, error or "end of file",
            )  # fmt: skip
            busy = IntakeBusy("the event writer process stopped; the event may not be stored")
            return [Failed(busy) for _ in items]

    def stop(self) -> int | None:
        """End the child (it reads end-of-file); its exit code."""
        self._pipe.close()
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        return self.process.exitcode


def serve(app: Flask, pipe: Connection, inherited: list) -> None:
    """The child: store each batch the pipe brings, answer its outcomes, until end-of-file."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGQUIT", "SIGUSR1", "SIGHUP"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)  # not the worker's handlers
    for thing in inherited:  # the worker's end of the pipe (else no end-of-file), listeners
        thing.close()
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)  # connections the worker opened are the worker's
    while True:
        try:
            items = pipe.recv()
        except EOFError:
            return
        with app.app_context():
            results = store_batch(items)
        pipe.send([sendable(result) for result in results])


def sendable(result: Outcome | Failed) -> Outcome | Failed:
    """RESULT, or its error as a RuntimeError naming it if that error does not pickle."""
    if not isinstance(result, Failed):
        return result
    try:
        pickle.loads(pickle.dumps(result.error))
    except Exception:
        return Failed(RuntimeError(f"{type(result.error).__name__}: {result.error}"))
    return result
