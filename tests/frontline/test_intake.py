"""The event intake: one writer per process, batches stored in one transaction, a failing event
fails alone, a guest's events taken in order (cooldowns hold inside a batch)."""

import threading
import time
from datetime import datetime

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, text

from frontline import zones
from frontline.casino import arrivals, intake
from frontline.casino.arrivals import EventConflict, Incoming, Receipt, UnknownGuest
from frontline.extensions import db
from frontline.tables import Event, IssuedCard, Zone
from tests.factories import arrival, make_floor, make_token


@pytest.fixture
def floor(app):
    """A host on shift and four of her guests, each of whom complained last time."""
    with app.app_context():
        make_floor(("G1", "G2", "SLOW", "FAULT"))
        return {"token": make_token()}


def incoming(guest_id: str, event_id: str, **kw) -> Incoming:
    body = arrival(guest_id, event_id, **kw)
    return Incoming(body | {"occurred_at": datetime.fromisoformat(body["occurred_at"])})


def count(table, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(table).where(*where))


def test_one_batch_answers_each_event_on_its_own(app, floor):
    with app.app_context():
        old, new = incoming("G1", "old"), incoming("G2", "new")
        assert arrivals.store_events([old])[0].created
        batch = [
            old,  # stored before: a repeat
            new,
            new,  # the same event twice in one batch: stored once
            incoming("G2", "new", source="beacon"),  # same id, other body
            incoming("NOBODY", "lost"),
        ]
        outcomes = arrivals.store_events(batch)
        assert outcomes[0] == Receipt("old", created=False)
        assert isinstance(outcomes[1], Receipt) and outcomes[1].created and outcomes[1].cards
        assert outcomes[2] == Receipt("new", created=False)
        assert isinstance(outcomes[3], EventConflict) and outcomes[3].args == ("new",)
        assert isinstance(outcomes[4], UnknownGuest) and outcomes[4].args == ("NOBODY",)
        assert count(Event) == 2 and count(Event, Event.external_id == "lost") == 0


def test_two_swipes_in_one_batch_pass_the_cooldown_once(app, floor):
    with app.app_context():
        swipes = [incoming("G1", "swipe-1"), incoming("G1", "swipe-2")]
        first, second = arrivals.store_events(swipes)
        assert first.cards >= 1 and second.created and second.cards == 0
        assert count(IssuedCard) == first.cards


def test_a_batch_costs_the_same_round_trips_as_one_event(app, floor):
    """The writer reads what a batch's arrivals need once for all of them, and their rows go
    to the database together at commit: a batch of three costs what one event costs (on
    SQLite, in-process, the driver still inserts row by row; the reads are the same)."""
    with app.app_context():

        def statements(batch: list[Incoming]) -> list[str]:
            ran: list[str] = []

            def note(conn, cursor, statement, *args) -> None:
                if "pack_versions" not in statement:  # the pack shelf's check, once a second
                    ran.append(statement)

            sa_event.listen(db.engine, "before_cursor_execute", note)
            try:
                outcomes = arrivals.store_events(batch)
            finally:
                sa_event.remove(db.engine, "before_cursor_execute", note)
            assert all(isinstance(o, Receipt) and o.cards for o in outcomes)
            if db.engine.dialect.name == "sqlite":
                return [s for s in ran if s.lstrip().upper().startswith("SELECT")]
            return ran

        one = statements([incoming("G1", "one")])
        three = statements([incoming(g, f"three-{g}") for g in ("G2", "SLOW", "FAULT")])
        assert len(three) == len(one), f"one event: {one}\na batch of three: {three}"


class Gate:
    """Holds the writer inside the SLOW guest's event, so that others queue up behind it."""

    def __init__(self, monkeypatch):
        self.entered, self.release = threading.Event(), threading.Event()
        self.batches: list[list[str]] = []
        real_issue, real_store = arrivals.issue_cards, intake.store_events

        def issue(audience, subject_type, subject_id, facts, *args, **kwargs):
            if facts["guest.id"] == "SLOW":
                self.entered.set()
                assert self.release.wait(10)
            if facts["guest.id"] == "FAULT":
                raise RuntimeError("injected failure while making cards")
            return real_issue(audience, subject_type, subject_id, facts, *args, **kwargs)

        def store(batch):
            self.batches.append([item.payload["id"] for item in batch])
            return real_store(batch)

        monkeypatch.setattr(arrivals, "issue_cards", issue)
        monkeypatch.setattr(intake, "store_events", store)


def submit_in_thread(app, item: Incoming, results: dict) -> threading.Thread:
    def run():
        with app.app_context():
            try:
                results[item.payload["id"]] = intake.submit(item)
            except Exception as error:
                results[item.payload["id"]] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_events_queued_meanwhile_go_in_one_batch_and_a_failure_fails_alone(app, floor, monkeypatch):
    gate, results = Gate(monkeypatch), {}
    threads = [submit_in_thread(app, incoming("SLOW", "slow"), results)]
    assert gate.entered.wait(10)
    for guest, event_id in (("G1", "ok-1"), ("FAULT", "bad"), ("G2", "ok-2")):
        threads.append(submit_in_thread(app, incoming(guest, event_id), results))
    pending = app.extensions["event_intake"]._pending
    deadline = time.monotonic() + 10
    while len(pending) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    gate.release.set()
    for thread in threads:
        thread.join(10)

    queued = next(b for b in gate.batches if "bad" in b)
    assert sorted(queued) == ["bad", "ok-1", "ok-2"]  # one batch, then each alone
    assert ["ok-1"] in gate.batches and ["bad"] in gate.batches
    assert isinstance(results["bad"], RuntimeError)
    assert all(results[e].created and results[e].cards for e in ("slow", "ok-1", "ok-2"))
    with app.app_context():
        stored = set(db.session.scalars(select(Event.external_id)))
        assert stored == {"slow", "ok-1", "ok-2"}


def test_writer_stops_when_idle_and_starts_again(app, floor, monkeypatch):
    monkeypatch.setattr(intake, "IDLE_SECONDS", 0.05)
    writer = app.extensions["event_intake"]
    with app.app_context():
        assert intake.submit(incoming("G1", "before")).created
        deadline = time.monotonic() + 5
        while writer._running and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not writer._running
        assert intake.submit(incoming("G2", "after")).created
        assert count(Event) == 2


def test_a_zone_added_a_moment_ago_is_known_almost_at_once(app, client, floor):
    headers = {"Authorization": f"Bearer {floor['token']}"}
    assert client.post("/api/v1/events", json=arrival("G1"), headers=headers).status_code == 202
    unknown = client.post("/api/v1/events", json=arrival("G1", zone="sky_bar"), headers=headers)
    assert unknown.status_code == 422
    with app.app_context():
        db.session.add(Zone(code="sky_bar", name="Sky bar", kind="bar"))
        db.session.commit()
    time.sleep(zones.RECHECK_SECONDS)
    moved = arrival("G1", zone="sky_bar", type="guest.moved")
    assert client.post("/api/v1/events", json=moved, headers=headers).status_code == 202


def test_an_event_not_stored_in_time_answers_busy_and_is_dropped(app, floor, monkeypatch):
    gate, results = Gate(monkeypatch), {}
    slow = submit_in_thread(app, incoming("SLOW", "slow"), results)
    assert gate.entered.wait(10)
    writer = app.extensions["event_intake"]
    with app.app_context():
        (answer,) = writer.submit_many([incoming("G1", "given-up")], wait=0.05)
    assert isinstance(answer, intake.Failed) and isinstance(answer.error, intake.IntakeBusy)
    gate.release.set()
    slow.join(10)
    with app.app_context():
        assert intake.submit(incoming("G2", "after")).created  # the writer moved past it
        stored = set(db.session.scalars(select(Event.external_id)))
    assert stored == {"slow", "after"}  # nobody waited for "given-up" any more


def test_a_full_queue_answers_busy_at_once(app, floor, monkeypatch):
    monkeypatch.setattr(intake, "MAX_PENDING", 2)
    with app.app_context():
        answers = intake.submit_many([incoming("G1", f"q-{n}") for n in range(3)])
        assert all(isinstance(a, intake.Failed) for a in answers)
        assert "waiting to be stored" in str(answers[0].error)
        assert count(Event) == 0


def test_a_failed_lookup_is_rolled_back_before_each_event_is_stored_alone(app, floor, monkeypatch):
    """On PostgreSQL a failed statement aborts the transaction: the retries must not inherit it."""
    real, calls = arrivals._received, []

    def broken_once(ids):
        calls.append(ids)
        if len(calls) == 1:
            db.session.execute(text("SELECT * FROM no_such_table"))
        return real(ids)

    monkeypatch.setattr(arrivals, "_received", broken_once)
    with app.app_context():
        answers = intake.submit_many([incoming("G1", "a"), incoming("G2", "b")])
    assert [a.created for a in answers] == [True, True]
    assert len(calls) == 3  # the batch, then each event alone


def test_a_batch_answer_marks_the_event_that_failed(app, client, floor, monkeypatch):
    Gate(monkeypatch)
    headers = {"Authorization": f"Bearer {floor['token']}"}
    events = [arrival("G1", "fine"), arrival("FAULT", "broken")]
    response = client.post("/api/v1/events/batch", json={"events": events}, headers=headers)
    assert response.status_code == 200
    codes = [(r["id"], r["code"], r["status"]) for r in response.json["results"]]
    assert codes == [("fine", 202, "accepted"), ("broken", 500, "failed")]
    assert "send it again" in response.json["results"][1]["message"]


def test_a_writer_behind_answers_503_with_retry_after_at_once(app, client, floor, monkeypatch):
    """The overload brake: when the oldest waiting event has waited MAX_LAG_SECONDS, a new one
    is refused at once (503, Retry-After), not queued for seconds behind the others."""
    monkeypatch.setattr(intake, "MAX_LAG_SECONDS", 0.2)
    gate, results = Gate(monkeypatch), {}
    slow = submit_in_thread(app, incoming("SLOW", "slow"), results)
    assert gate.entered.wait(10)
    queued = submit_in_thread(app, incoming("G1", "queued"), results)
    time.sleep(0.4)  # "queued" has now waited longer than the brake allows
    threading.Timer(2.0, gate.release.set).start()  # without the brake the POST waits for this

    started = time.monotonic()
    headers = {"Authorization": f"Bearer {floor['token']}"}
    answer = client.post("/api/v1/events", json=arrival("G2", "refused"), headers=headers)
    elapsed = time.monotonic() - started
    slow.join(10)
    queued.join(10)

    assert answer.status_code == 503, answer.get_json()
    assert answer.headers["Retry-After"] == "1"
    assert elapsed < 0.5
    assert results["queued"].created  # what was already queued is still stored
    with app.app_context():
        assert count(Event, Event.external_id == "refused") == 0
