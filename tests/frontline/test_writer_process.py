"""The event writer in a process of its own, as each gunicorn worker runs it (embedded on
SQLite, and PostgreSQL + Redis): batches stored by the child exactly as by the thread, the
phones signalled by the worker, and a child that dies answers busy once, and the worker
stores events itself from then on."""

from __future__ import annotations

import os
import pickle
import signal
import threading
import time
import uuid
from datetime import datetime

import pytest
from sqlalchemy import create_engine, func, select, text

from frontline import create_app, push
from frontline.casino import intake, writer
from frontline.casino.arrivals import EventConflict, Incoming, UnknownGuest
from frontline.extensions import db
from frontline.tables import Event, IssuedCard
from tests.factories import arrival, make_floor
from tests.frontline.test_push_redis import drain, redis_url  # noqa: F401 (a fixture)


@pytest.fixture(
    params=["embedded", pytest.param("scaleout", marks=[pytest.mark.postgres, pytest.mark.redis])]
)
def app(request, tmp_path):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'writer.sqlite3'}",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
    }
    if request.param == "scaleout":
        config |= {
            "SQLALCHEMY_DATABASE_URI": request.getfixturevalue("postgres_schema_url"),
            "REDIS_URL": request.getfixturevalue("redis_url"),
            "PUSH_REDIS_PREFIX": f"frontline:test:{uuid.uuid4().hex[:12]}:push:",
        }
    app = create_app(config)
    with app.app_context():
        db.create_all()
        host, _ = make_floor(("G1", "G2"))
        db.session.commit()
        app.config["host_id"] = host.id
    yield app
    with app.app_context():
        push.broker().close()
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def child(app):
    made = writer.WriterProcess(app)  # forked now: before the broker's listener thread
    yield made
    made.stop()


def incoming(guest_id: str, event_id: str, **kw) -> Incoming:
    body = arrival(guest_id, event_id, **kw)
    return Incoming(body | {"occurred_at": datetime.fromisoformat(body["occurred_at"])})


def stored(app, event_id: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Event).where(Event.external_id == event_id)
        )


def test_the_child_stores_a_batch_and_the_worker_signals_the_host(app, child):
    with app.app_context():
        subscription = push.broker().subscribe([push.user_channel(app.config["host_id"])])
        answers = intake.submit_many(
            [incoming("G1", "a-1"), incoming("G2", "a-2"), incoming("NOBODY", "a-3")]
        )
        cards = db.session.scalar(select(func.count()).select_from(IssuedCard))

    assert child.process.is_alive() and child.process.pid != os.getpid()
    assert [a.created for a in answers[:2]] == [True, True]
    assert all(a.cards == 1 for a in answers[:2])
    assert isinstance(answers[2], UnknownGuest)
    assert cards == 2 and stored(app, "a-1") == stored(app, "a-2") == 1
    assert ("inbox", "new") in drain(subscription, 1)


def test_a_repeat_and_a_conflict_answer_as_in_the_thread(app, child):
    once = incoming("G1", "same")
    with app.app_context():
        first, again = intake.submit(once), intake.submit(once)
        (conflict,) = intake.submit_many([incoming("G2", "same")])
    assert first.created and not again.created
    assert isinstance(conflict, EventConflict)
    assert stored(app, "same") == 1


def test_a_child_that_died_idle_answers_one_batch_busy_then_the_worker_stores(app, child):
    with app.app_context():
        assert intake.submit(incoming("G1", "before")).created
        os.kill(child.process.pid, signal.SIGKILL)
        child.process.join(5)
        (lost,) = intake.submit_many([incoming("G2", "after")])
        assert isinstance(lost, intake.Failed) and isinstance(lost.error, intake.IntakeBusy)
        assert intake.submit(incoming("G2", "after")).created  # sent again: stored here
    assert app.extensions["event_intake"].store is intake.store_batch
    assert stored(app, "after") == 1


def test_a_child_that_dies_during_a_batch_answers_it_busy(app, child):
    with app.app_context():
        intake.submit(incoming("G1", "warm-up"))  # the child is up and connected
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    holder = engine.connect()
    lock = holder.begin()  # held, so the child's batch waits for it
    if engine.dialect.name == "sqlite":
        holder.exec_driver_sql("UPDATE guests SET name = name")  # the write lock
    else:
        holder.execute(text("SELECT id FROM guests WHERE external_id = 'G2' FOR UPDATE"))
    answers: list = []
    sender = threading.Thread(
        target=lambda: answers.extend(in_context(app, intake.submit_many, [incoming("G2", "x")]))
    )
    sender.start()
    try:
        time.sleep(0.5)  # the batch is in the pipe or in the child, waiting for the lock
        os.kill(child.process.pid, signal.SIGKILL)
        sender.join(10)
    finally:
        lock.rollback()
        holder.close()
        engine.dispose()

    (lost,) = answers
    assert isinstance(lost, intake.Failed) and isinstance(lost.error, intake.IntakeBusy)
    assert "writer process stopped" in str(lost.error)
    with app.app_context():
        again = intake.submit(incoming("G2", "x"))  # the integration sends it again
    assert again.created and app.extensions["event_intake"].store is intake.store_batch
    assert stored(app, "x") == 1


def in_context(app, function, *args):
    with app.app_context():
        return function(*args)


def test_the_child_ends_when_the_worker_closes_its_pipe(app, child):
    assert child.stop() == 0  # it read end-of-file and returned, not killed
    assert not child.process.is_alive()


def test_an_error_that_does_not_pickle_crosses_as_its_name_and_message():
    class Local(Exception):  # a class defined in a function does not pickle
        pass

    sent = writer.sendable(intake.Failed(Local("disk full")))
    assert isinstance(sent.error, RuntimeError) and str(sent.error) == "Local: disk full"
    pickle.dumps(sent)
    ok = intake.Failed(ValueError("bad"))
    assert writer.sendable(ok) is ok
