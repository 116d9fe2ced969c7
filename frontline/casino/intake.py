"""The event intake: one writer thread per process stores floor events, in small batches.

A request validates its event, hands it to the intake and waits for the outcome. The writer
takes everything that queued up meanwhile (at most MAX_BATCH) and stores it in one
transaction: a group commit (`store_batch`; under gunicorn with Redis the thread hands each
batch to a process of its own that runs it, writer.py). Why one writer:

* SQLite has one writer at a time. Request threads racing for it would sleep in SQLite's busy
  handler (1, 2, 5, 10 ms ...) while the lock is free; a single writer never waits on itself.
* Under load, batches grow by themselves, and a batch costs the same round trips as one
  event: a few queries read what all of its events need, one commit stores it. At 50
  arrivals/s a batch is usually a single event, so nothing waits for company.
* A process takes a guest's events strictly in order, so two swipes a millisecond apart
  cannot both pass a cooldown. Across PostgreSQL workers the guest row lock does the same;
  SQLite has no row locks, which is one more reason it runs one worker.

If a batch fails, each of its events is stored again in a transaction of its own: the event
that fails answers 5xx alone (nothing of it written) and the others are stored. The thread
ends after IDLE_SECONDS without work and starts again with the next event.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .arrivals import Incoming, Outcome, signal_receipts, store_events

log = logging.getLogger(__name__)

MAX_BATCH = 32
IDLE_SECONDS = 10.0
#: A request waits this long for its event to be stored before answering 503 (retry is safe);
#: an event given up on this way is dropped from the queue if the writer has not reached it.
WAIT_SECONDS = 30.0
#: Events queued beyond this answer 503 at once: a writer that fell behind must not be handed
#: minutes of work nobody waits for any more.
MAX_PENDING = 5000
#: The overload brake: when the oldest waiting event has waited this long, the writer has
#: fallen behind, and new events answer 503 (Retry-After) at once instead of queueing for
#: seconds while every phone's latency grows.
MAX_LAG_SECONDS = 1.0


class IntakeBusy(RuntimeError):
    """The event was not stored in time; sending it again is safe (ids make it idempotent)."""


@dataclass(frozen=True)
class Failed:
    """Storing this event raised ERROR (nothing of it was stored)."""

    error: BaseException


@dataclass
class _Job:
    item: Incoming
    done: threading.Event = field(default_factory=threading.Event)
    result: Outcome | Failed | None = None
    queued_at: float = field(default_factory=time.monotonic)
    abandoned: bool = False  # the request gave up waiting (set and read under Intake._wake)

    def finish(self, result: Outcome | Failed) -> None:
        self.result = result
        self.done.set()


class Intake:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self._pending: deque[_Job] = deque()
        self._wake = threading.Condition(threading.Lock())
        self._running = False
        #: Stores a batch and answers each event: here, in the writer thread, or in a process
        #: of its own (writer.py) that this thread hands the batch to.
        self.store: Callable[[list[Incoming]], list[Outcome | Failed]] = store_batch

    def submit(self, item: Incoming, wait: float = WAIT_SECONDS) -> Outcome:
        """Store one event (or learn it was a repeat); raises what storing it raised."""
        (result,) = self.submit_many([item], wait)
        if isinstance(result, Failed):
            raise result.error
        return result

    def submit_many(
        self, items: list[Incoming], wait: float = WAIT_SECONDS
    ) -> list[Outcome | Failed]:
        """Store events in order; each gets its outcome, or Failed with what storing it raised.

        The caller's database connection goes back to the pool first: requests waiting here
        must not hold the connections the writer needs.
        """
        db.session.close()
        jobs = [_Job(item) for item in items]
        with self._wake:
            busy = self._behind(len(jobs))
            if busy is not None:
                return [Failed(busy) for _ in jobs]
            self._pending.extend(jobs)
            if self._running:
                self._wake.notify()
            else:
                self._running = True
                threading.Thread(target=self._run, name="frontline-intake", daemon=True).start()
        deadline = time.monotonic() + wait
        return [self._result(job, deadline, wait) for job in jobs]

    def _behind(self, more: int) -> IntakeBusy | None:
        """Why new events cannot be taken now (called holding _wake), or None."""
        if len(self._pending) + more > MAX_PENDING:
            return IntakeBusy(f"{len(self._pending)} events are waiting to be stored")
        if self._pending:
            lag = time.monotonic() - self._pending[0].queued_at
            if lag > MAX_LAG_SECONDS:
                return IntakeBusy(f"the event writer is {lag:.1f} s behind")
        return None

    def _result(self, job: _Job, deadline: float, wait: float) -> Outcome | Failed:
        if not job.done.wait(max(deadline - time.monotonic(), 0.0)):
            with self._wake:
                job.abandoned = True
            if not job.done.is_set():  # else the writer finished it meanwhile: answer that
                event = job.item.payload["id"]
                return Failed(IntakeBusy(f"event {event!r} was not stored within {wait:g} s"))
        assert job.result is not None
        return job.result

    def _run(self) -> None:
        while batch := self._next_batch():
            try:
                with self.app.app_context():
                    self._store_and_answer(batch)
            except BaseException as error:  # never leave a request waiting on a dead thread
                for job in batch:
                    if not job.done.is_set():
                        job.finish(Failed(error))
                if not isinstance(error, Exception):
                    with self._wake:
                        self._running = False
                    raise

    def _next_batch(self) -> list[_Job]:
        """Up to MAX_BATCH waiting events; [] (and the thread ends) after IDLE_SECONDS idle."""
        with self._wake:
            while True:
                if not self._pending:
                    self._wake.wait(IDLE_SECONDS)
                if not self._pending:
                    self._running = False
                    return []
                batch: list[_Job] = []
                while self._pending and len(batch) < MAX_BATCH:
                    job = self._pending.popleft()
                    if not job.abandoned:
                        batch.append(job)
                if batch:
                    return batch

    def _store_and_answer(self, batch: list[_Job]) -> None:
        results = self.store([job.item for job in batch])
        signal_receipts(results)  # from this process, wherever the batch was stored
        for job, result in zip(batch, results, strict=True):
            job.finish(result)


def store_batch(items: list[Incoming]) -> list[Outcome | Failed]:
    """Store ITEMS in one transaction, each with its outcome; if that fails, store each event
    alone, so the one that fails gets Failed (nothing of it written) and the others are stored.
    Needs an app context. The writer thread calls it, or the writer process (writer.py)."""
    try:
        return list(store_events(items))
    except Exception as error:
        if len(items) == 1 and not isinstance(error, IntegrityError):
            return [_failed(items[0], error)]
        # find the event that fails, or an id another worker stored meanwhile
        return [_store_alone(item) for item in items]


def _store_alone(item: Incoming) -> Outcome | Failed:
    error: Exception | None = None
    for _ in range(2):  # another worker may store the same id between our look and our
        try:  # insert: the second look finds it, and the answer is a repeat (or a conflict)
            (outcome,) = store_events([item])
            return outcome
        except IntegrityError as caught:
            error = caught
        except Exception as caught:
            return _failed(item, caught)
    return _failed(item, error)


def _failed(item: Incoming, error: Exception) -> Failed:
    log.exception("event %r could not be stored", item.payload.get("id"), exc_info=error)
    return Failed(error)


def init_app(app: Flask) -> None:
    app.extensions["event_intake"] = Intake(app)


def submit(item: Incoming) -> Outcome:
    return current_app.extensions["event_intake"].submit(item)


def submit_many(items: list[Incoming]) -> list[Outcome | Failed]:
    return current_app.extensions["event_intake"].submit_many(items)
