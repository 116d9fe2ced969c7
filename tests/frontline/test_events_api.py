"""POST /api/v1/events: validation, idempotency, conflicts, and the cards an arrival makes."""

import threading

import pytest
from sqlalchemy import func, select

from frontline.extensions import db
from frontline.tables import CardAction, Event, Guest, GuidanceCard
from tests.factories import arrival, make_floor, make_guest, make_token, make_zone


@pytest.fixture
def floor(app):
    """A zone, a host on shift there, and one of her guests who complained last time."""
    with app.app_context():
        host, (guest,) = make_floor(
            complaint="Cold food at the steakhouse.", name="Ava Walsh", tier="platinum",
            cuisines=["sushi"], interests=["baccarat"],
        )  # fmt: skip
        return {"token": make_token(), "host_id": host.id, "guest_id": guest.id}


def post(client, token, body, **headers):
    return client.post(
        "/api/v1/events", json=body, headers={"Authorization": f"Bearer {token}", **headers}
    )


def count(app, table) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(table))


def test_arrival_creates_routed_cards_with_their_why(app, client, floor):
    response = post(client, floor["token"], arrival("G1", "e-1"))
    assert response.status_code == 202, response.json
    assert response.json["id"] == "e-1" and response.json["cards"] >= 1
    with app.app_context():
        cards = db.session.scalars(select(GuidanceCard)).all()
        assert {c.assignee_id for c in cards} == {floor["host_id"]}
        recovery = next(c for c in cards if c.rule_id == "service-recovery")
        assert "Ava Walsh" in recovery.headline
        assert recovery.facts["guest.last_visit_rating"] == 1
        assert recovery.pack_id == "host-arrivals" and recovery.pack_version
        assert recovery.routing_note == "Your guest"
        assert db.session.scalar(select(func.count()).select_from(CardAction)) == len(cards)


def test_same_event_twice_answers_200_and_changes_nothing(app, client, floor):
    body = arrival("G1", "e-2")
    assert post(client, floor["token"], body).status_code == 202
    before = count(app, GuidanceCard)
    again = post(client, floor["token"], body)
    assert again.status_code == 200 and again.json["status"] == "duplicate"
    assert count(app, GuidanceCard) == before and count(app, Event) == 1


def test_same_id_with_another_body_is_a_conflict(app, client, floor):
    assert post(client, floor["token"], arrival("G1", "e-3")).status_code == 202
    other = arrival("G1", "e-3", zone="main_floor", source="beacon")
    response = post(client, floor["token"], other)
    assert response.status_code == 409
    assert "different body" in response.json["message"]


def test_invalid_body_lists_every_field_error(client, floor):
    response = post(
        client, floor["token"], {"type": "guest.teleported", "occurred_at": "yesterday"}
    )
    assert response.status_code == 422
    errors = response.json["errors"]["json"]
    assert set(errors) >= {"id", "type", "occurred_at", "guest_id", "source"}


def test_naive_time_is_refused(client, floor):
    response = post(client, floor["token"], arrival("G1", occurred_at="2026-11-23T10:00:00"))
    assert response.status_code == 422
    assert "occurred_at" in response.json["errors"]["json"]


def test_unknown_guest_and_zone_are_named(app, client, floor):
    response = post(client, floor["token"], arrival("NOPE"))
    assert response.status_code == 422
    assert response.json["errors"]["json"]["guest_id"] == ["Unknown guest 'NOPE'."]
    response = post(client, floor["token"], arrival("G1", zone="moon"))
    assert response.json["errors"]["json"]["location"]["zone"] == ["Unknown zone 'moon'."]
    assert count(app, Event) == 0


def test_scope_is_checked_before_the_body(app, client, floor):
    with app.app_context():
        weak = make_token(scopes=("guests:read",))
    assert post(client, weak, {}).status_code == 403
    assert post(client, "nonsense", {}).status_code == 401


def test_repeat_card_in_within_the_visit_makes_no_new_cards(app, client, floor):
    assert post(client, floor["token"], arrival("G1")).status_code == 202
    first = count(app, GuidanceCard)
    assert post(client, floor["token"], arrival("G1")).status_code == 202
    assert count(app, GuidanceCard) == first


def test_self_excluded_guest_never_gets_an_offer(app, client, floor):
    with app.app_context():
        make_guest(
            external_id="SX",
            name="Tom Stone",
            tier="diamond",
            self_excluded=True,
            cuisines=["steak"],
        )
    assert post(client, floor["token"], arrival("SX")).status_code == 202
    with app.app_context():
        cards = db.session.scalars(
            select(GuidanceCard).where(GuidanceCard.subject_type == "guest")
        ).all()
        mine = [c for c in cards if c.facts.get("guest.self_excluded")]
        assert mine and all(c.offer is None for c in mine)


def test_failed_processing_stores_nothing_and_can_be_retried(app, client, floor, monkeypatch):
    from frontline.casino import arrivals

    def broken(*args, **kwargs):
        raise RuntimeError("rule engine exploded")

    monkeypatch.setattr(arrivals, "issue_cards", broken)
    body = arrival("G1", "e-fail")
    with pytest.raises(RuntimeError):
        post(client, floor["token"], body)  # the test client re-raises; a server answers 500
    assert count(app, Event) == 0 and count(app, GuidanceCard) == 0
    monkeypatch.undo()
    assert post(client, floor["token"], body).status_code == 202


def test_concurrent_copies_make_one_event(app, floor):
    body = arrival("G1", "e-race")
    statuses = []

    def send():
        with app.test_client() as c:
            statuses.append(post(c, floor["token"], body).status_code)

    threads = [threading.Thread(target=send) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 9 + [202]
    assert count(app, Event) == 1
    with app.app_context():
        rules = db.session.scalars(select(GuidanceCard.rule_id)).all()
        assert len(rules) == len(set(rules))


def post_batch(client, token, events):
    headers = {"Authorization": f"Bearer {token}"}
    return client.post("/api/v1/events/batch", json={"events": events}, headers=headers)


def test_a_batch_answers_each_event_as_a_single_post_would(app, client, floor):
    first = arrival("G1", "b-1")
    assert post(client, floor["token"], first).status_code == 202
    events = [
        first,  # a repeat
        arrival("G1", "b-2", type="guest.moved"),
        arrival("G1", "b-1", source="beacon"),  # same id, other body
        arrival("NOBODY", "b-3"),
        arrival("G1", "b-4", type="guest.left"),
    ]
    response = post_batch(client, floor["token"], events)
    assert response.status_code == 200, response.json
    results = response.json["results"]
    assert [(r["id"], r["code"], r["status"]) for r in results] == [
        ("b-1", 200, "duplicate"),
        ("b-2", 202, "accepted"),
        ("b-1", 409, "conflict"),
        ("b-3", 422, "unknown_guest"),
        ("b-4", 202, "accepted"),
    ]
    assert results[3]["message"] == "Unknown guest 'NOBODY'."
    assert count(app, Event) == 3
    with app.app_context():
        guest = db.session.get(Guest, floor["guest_id"])
        assert guest.on_property is False  # stored in order: the move, then the departure


def test_a_batch_with_an_invalid_event_names_it_and_stores_nothing(app, client, floor):
    events = [arrival("G1", "ok"), arrival("G1", "bad", zone="moon"), {"id": "x"}]
    response = post_batch(client, floor["token"], events)
    assert response.status_code == 422
    errors = response.json["errors"]["json"]["events"]
    assert errors["1"]["location"]["zone"] == ["Unknown zone 'moon'."]
    assert set(errors["2"]) == {"type", "occurred_at", "guest_id", "source"}
    assert "0" not in errors
    assert count(app, Event) == 0


def test_a_batch_holds_at_most_500_events(client, floor):
    events = [arrival("G1", f"n-{n}", type="guest.moved") for n in range(501)]
    response = post_batch(client, floor["token"], events)
    assert response.status_code == 422
    assert "Length must be between 1 and 500" in str(response.json["errors"]["json"]["events"])


def test_a_late_sighting_is_stored_but_does_not_move_the_guest_back(app, client, floor):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    moved = arrival("G1", "now", type="guest.moved", zone="high_limit", occurred_at=now.isoformat())
    late = arrival(
        "G1", "late", type="guest.moved", occurred_at=(now - timedelta(minutes=2)).isoformat()
    )
    with app.app_context():
        make_zone("high_limit", "High-limit room")
    assert post(client, floor["token"], moved).status_code == 202
    assert post(client, floor["token"], late).status_code == 202
    assert count(app, Event) == 2
    with app.app_context():
        guest = db.session.get(Guest, floor["guest_id"])
        assert guest.current_zone == "high_limit" and guest.last_seen_at == now


def test_a_late_arrival_of_a_guest_who_has_left_makes_no_card(app, client, floor):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    left = arrival("G1", "gone", type="guest.left", occurred_at=now.isoformat())
    late = arrival("G1", "late", occurred_at=(now - timedelta(minutes=3)).isoformat())
    assert post(client, floor["token"], left).status_code == 202
    response = post(client, floor["token"], late)
    assert response.status_code == 202 and response.json["cards"] == 0
    assert count(app, GuidanceCard) == 0 and count(app, Event) == 2
