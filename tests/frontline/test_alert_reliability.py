"""Reliability of arrival alerts over real HTTP, embedded (SQLite, one process) and scaled out
(PostgreSQL + Redis + two gunicorn workers): nothing lost or doubled across a cut stream,
one event per id under concurrent copies, and no half-made card when processing fails.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from frontline import create_app
from frontline.extensions import db
from frontline.tables import Event, IssuedCard
from tests.factories import (
    arrival,
    make_guest,
    make_shift,
    make_token,
    make_user,
    make_visit,
    make_zone,
)
from tests.phones import Phone
from tests.servers import TEST_SECRET

CUT_SECONDS = float(os.environ.get("FRONTLINE_TEST_CUT_SECONDS", "30"))
GUESTS = 50
PASSWORD = "pw-for-tests"


@pytest.fixture
def floor(deployment):
    """A host on shift with 50 guests who each complained last time, and an events token."""
    url, _ = deployment
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": TEST_SECRET})
    with app.app_context():
        db.create_all()
        make_zone()
        host = make_user(role="host", email="maya@example.test", password=PASSWORD)
        make_shift(host)
        for n in range(GUESTS):
            guest = make_guest(host=host, external_id=f"G{n:03d}", name=f"Guest {n}")
            make_visit(guest, days_ago=5, rating=1, complaint="Cold dinner.")
        make_guest(host=host, external_id="FAULT1", name="Fault Guest")
        token = make_token()
    yield {"app": app, "token": token}
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def post_event(base: str, token: str, body: dict) -> requests.Response:
    return requests.post(
        f"{base}/api/v1/events", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def open_card_ids(app) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(IssuedCard.id)))


def test_cut_stream_misses_nothing_and_doubles_nothing(deployment, floor):
    _, server_for = deployment
    with server_for() as server:
        phone = Phone(server.url, "maya@example.test", PASSWORD)
        stop, seen = threading.Event(), []
        phone.listen(seen.append, stop).join(timeout=0.5)
        stop.set()  # the phone goes into a tunnel: no stream at all
        phone.session.close()
        phone = Phone(server.url, "maya@example.test", PASSWORD)
        started = time.monotonic()
        for n in range(GUESTS):
            response = post_event(server.url, floor["token"], arrival(f"G{n:03d}"))
            assert response.status_code == 202, response.text
            time.sleep(max(0.0, started + (n + 1) * CUT_SECONDS / GUESTS - time.monotonic()))
        # Back online: the stream's first word is "sync", and the page re-reads its inbox.
        stop, events = threading.Event(), []
        phone.listen(events.append, stop)
        deadline = time.monotonic() + 10
        while not events and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        assert events and (events[0].event, events[0].data) == ("inbox", "sync")
        shown = phone.inbox_ids()
        assert len(shown) == len(set(shown))  # nothing twice
        assert set(shown) == open_card_ids(floor["app"])  # nothing missed
        with floor["app"].app_context():
            guests_with_cards = db.session.scalar(
                select(func.count(func.distinct(IssuedCard.subject_id)))
            )
        assert guests_with_cards == GUESTS


def test_concurrent_copies_make_one_event(deployment, floor):
    _, server_for = deployment
    body = arrival("G001", "same-id")
    with server_for() as server, ThreadPoolExecutor(10) as pool:
        statuses = sorted(
            r.status_code
            for r in pool.map(lambda _: post_event(server.url, floor["token"], body), range(10))
        )
    assert statuses == [200] * 9 + [202]
    with floor["app"].app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 1
        rules = db.session.scalars(select(IssuedCard.rule_id)).all()
        assert rules and len(rules) == len(set(rules))


def test_failed_processing_is_a_retryable_5xx_with_nothing_stored(deployment, floor):
    _, server_for = deployment
    body = arrival("FAULT1", "will-fail")
    with server_for(app="tests.faults:faulty_app()") as server:
        response = post_event(server.url, floor["token"], body)
        assert 500 <= response.status_code < 600
        with floor["app"].app_context():
            assert db.session.scalar(select(func.count()).select_from(Event)) == 0
            assert db.session.scalar(select(func.count()).select_from(IssuedCard)) == 0
    with server_for() as server:  # the fault is fixed: the sender's retry goes through
        assert post_event(server.url, floor["token"], body).status_code == 202
