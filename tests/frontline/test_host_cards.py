"""The host's inbox and card screen: live inbox fragment, one-tap actions, escalation."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from frontline.casino.escalation import escalate_overdue
from frontline.extensions import db
from frontline.tables import CardAction, GuidanceCard, utcnow
from tests.conftest import AuthActions
from tests.factories import (
    arrival,
    make_guest,
    make_shift,
    make_token,
    make_user,
    make_visit,
    make_zone,
)


@pytest.fixture
def alert(app, client):
    """Maya (host, on shift) has an open recovery card for her guest Ava, who is on the floor."""
    with app.app_context():
        make_zone()
        host = make_user(role="host", email="maya@example.test", comp_authority=300)
        make_shift(host)
        guest = make_guest(host=host, external_id="G1", name="Ava Walsh", cuisines=["sushi"])
        make_visit(guest, days_ago=15, rating=2, complaint="Room not ready at check-in.")
        token = make_token()
        host_id = host.id
    response = client.post(
        "/api/v1/events",
        json=arrival("G1", zone="main_floor"),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 202
    with app.app_context():
        card = db.session.scalar(
            select(GuidanceCard).where(GuidanceCard.rule_id == "service-recovery")
        )
        return {"card_id": card.id, "host_id": host_id}


def test_inbox_fragment_lists_open_cards(auth, client, alert):
    auth.login("host", email="maya@example.test")
    html = client.get("/host/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Ava Walsh" in html and "had a bad last visit" in html
    assert f'data-card-id="{alert["card_id"]}"' in html
    assert "<html" not in html


def test_card_screen_shows_what_the_host_needs(auth, client, alert):
    auth.login("host", email="maya@example.test")
    html = client.get(f"/host/cards/{alert['card_id']}").get_data(as_text=True)
    for expected in (
        "Ava Walsh",
        "Main casino floor",
        "sushi",
        "Room not ready at check-in.",
        "Acknowledge",
    ):
        assert expected in html


def test_actions_are_recorded_in_order(app, auth, client, alert):
    auth.login("host", email="maya@example.test")
    token = auth.csrf_token("/host/")
    url = f"/host/cards/{alert['card_id']}/actions"
    assert client.post(url, data={"action": "on_my_way", "csrf_token": token}).status_code == 303
    response = client.post(url, data={"action": "done", "outcome": "accepted", "csrf_token": token})
    assert response.status_code == 303
    with app.app_context():
        card = db.session.get(GuidanceCard, alert["card_id"])
        assert card.status.value == "done" and card.outcome == "accepted"
        taps = [t.action for t in card.taps]
        assert taps == ["issued", "on_my_way", "done"]
        assert all(t.at is not None for t in card.taps)


def test_done_with_an_offer_needs_an_outcome(app, auth, client, alert):
    auth.login("host", email="maya@example.test")
    token = auth.csrf_token("/host/")
    url = f"/host/cards/{alert['card_id']}/actions"
    page = client.post(url, data={"action": "done", "csrf_token": token}, follow_redirects=True)
    assert "Not recorded: say how it went" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(GuidanceCard, alert["card_id"]).status.value == "open"


def test_another_host_cannot_see_the_card(app, client, alert):
    other = AuthActions(client, app)
    other.login("host", email="someone.else@example.test")
    assert client.get(f"/host/cards/{alert['card_id']}").status_code == 404


def test_unacknowledged_card_escalates_to_the_manager(app, alert):
    with app.app_context():
        manager = make_user(role="host", email="boss@example.test", display_name="Rita Moreno")
        make_shift(manager, zones=("main_floor",), manager=True)
        assert escalate_overdue(utcnow(), minutes=5) == 0  # not overdue yet
        later = utcnow() + timedelta(minutes=6)
        moved = escalate_overdue(later, minutes=5)
        assert moved >= 1
        card = db.session.get(GuidanceCard, alert["card_id"])
        assert card.assignee_id == manager.id and card.escalation_level == 1
        assert card.routing_note.startswith("Escalated from")
        assert escalate_overdue(later, minutes=5) == 0  # moves once per level
        assert db.session.scalar(select(CardAction).where(CardAction.action == "escalated"))


def test_scheduler_escalates_in_the_background(app, alert):
    import threading

    from frontline.casino import scheduler

    app.config["ESCALATE_AFTER_MINUTES"] = 0
    with app.app_context():
        manager = make_user(role="host", email="night@example.test")
        make_shift(manager, manager=True)
        manager_id = manager.id
    stop = threading.Event()
    thread = scheduler.start(app, 0.05, stop)
    try:
        deadline = utcnow() + timedelta(seconds=10)
        while utcnow() < deadline:
            with app.app_context():
                if db.session.get(GuidanceCard, alert["card_id"]).assignee_id == manager_id:
                    break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(timeout=5)
    with app.app_context():
        assert db.session.get(GuidanceCard, alert["card_id"]).assignee_id == manager_id
