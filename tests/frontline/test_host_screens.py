"""Issue 14, the host's screens: one alert per arrival, status only forward, cards that move
say so, plain words, the guest book."""

from datetime import timedelta
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import select

from frontline.casino.escalation import escalate_overdue
from frontline.extensions import db
from frontline.scoring.facts import save_facts
from frontline.tables import Evaluation, IssuedCard, User, utcnow
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
def world(app):
    """Maya (host, on shift) and her guest Ava: complained last time, worth a lot, likes sushi."""
    with app.app_context():
        make_zone()
        host = make_user(role="host", email="maya@example.test", display_name="Maya Chen")
        make_shift(host)
        guest = make_guest(
            host=host,
            external_id="G1",
            name="Ava Walsh",
            tier="diamond",
            cuisines=["sushi", "italian"],
        )
        make_visit(guest, days_ago=15, rating=2, complaint="Room not ready at check-in.")
        scores = {"guest.value_90d": Decimal("8000.00"), "model_version": "guest_value-test"}
        save_facts("guest", pd.DataFrame([scores], index=[guest.id]))
        return {"token": make_token(), "host_id": host.id, "guest_id": guest.id}


def arrive(client, world, event_id=None):
    response = client.post(
        "/api/v1/events",
        json=arrival("G1", event_id=event_id, zone="main_floor"),
        headers={"Authorization": f"Bearer {world['token']}"},
    )
    assert response.status_code == 202, response.text


def only_card(app) -> IssuedCard:
    with app.app_context():
        cards = list(db.session.scalars(select(IssuedCard)))
        assert len(cards) == 1, [c.rule_id for c in cards]
        db.session.expunge_all()
        return cards[0]


def test_one_alert_per_arrival_with_the_other_reasons_inside(app, client, world):
    arrive(client, world)
    card = only_card(app)
    assert card.rule_id == "service-recovery"  # the top reason is the headline (and counted)
    fired = [rule["rule_id"] for rule in card.also_fired]
    assert fired == ["high-value-arrival"], fired
    assert all(rule["pack_version"] and rule["rule_title"] for rule in card.also_fired)
    assert any("Greet in person: worth about $8,000.00" in line for line in card.details), (
        card.details
    )
    assert card.offer["description"].startswith("Comp a meal")  # one offer, by priority
    with app.app_context():
        logged = db.session.scalar(select(Evaluation))
        assert set(logged.cards) == {"service-recovery", "high-value-arrival"}


def test_folded_rules_keep_their_cooldowns(app, client, world):
    arrive(client, world)
    arrive(client, world)  # the same visit: nothing new to say
    only_card(app)


def test_status_only_moves_forward(app, auth, client, world):
    arrive(client, world)
    card_id = only_card(app).id
    auth.login("host", email="maya@example.test")
    token = auth.csrf_token("/host/")
    url = f"/host/cards/{card_id}/actions"
    client.post(url, data={"action": "on_my_way", "csrf_token": token})
    page = client.post(
        url, data={"action": "acknowledge", "csrf_token": token}, follow_redirects=True
    )
    html = page.get_data(as_text=True)
    assert "Not recorded: this card is already on my way" in html
    assert 'value="acknowledge"' not in html and 'value="on_my_way"' not in html
    assert 'value="accepted"' in html  # what is left: how it ended
    with app.app_context():
        assert db.session.get(IssuedCard, card_id).status.value == "on_my_way"


def test_card_says_when_it_moves_on(app, auth, client, world):
    arrive(client, world)
    card = only_card(app)
    auth.login("host", email="maya@example.test")
    html = client.get(f"/host/cards/{card.id}").get_data(as_text=True)
    due = card.created_at + timedelta(minutes=app.config["ESCALATE_AFTER_MINUTES"])
    assert (
        f'Acknowledge by <time datetime="{due.isoformat()}" data-countdown>{due:%H:%M}</time>'
        " (nobody else on shift could take it now)" in html
    )
    with app.app_context():
        rita = make_user(role="host", email="rita@example.test", display_name="Rita Moreno")
        make_shift(rita, manager=True)
    html = client.get(f"/host/cards/{card.id}").get_data(as_text=True)
    assert "or it moves to <strong>Rita Moreno</strong>" in html
    token = auth.csrf_token("/host/")
    client.post(
        f"/host/cards/{card.id}/actions", data={"action": "acknowledge", "csrf_token": token}
    )
    assert "Acknowledge by" not in client.get(f"/host/cards/{card.id}").get_data(as_text=True)


def test_a_tap_on_a_card_that_moved_keeps_the_outcome(app, auth, client, world):
    arrive(client, world)
    card_id = only_card(app).id
    auth.login("host", email="maya@example.test")
    token = auth.csrf_token("/host/")
    with app.app_context():
        rita = make_user(role="host", email="rita@example.test", display_name="Rita Moreno")
        make_shift(rita, manager=True)
        assert escalate_overdue(utcnow() + timedelta(minutes=6), minutes=5) == 1
    page = client.get(f"/host/cards/{card_id}")
    assert page.status_code == 200
    assert "This card moved to <strong>Rita Moreno</strong>" in page.get_data(as_text=True)
    late = client.post(
        f"/host/cards/{card_id}/actions",
        data={"action": "done", "outcome": "accepted", "csrf_token": token},
        follow_redirects=True,
    )
    assert late.status_code == 200
    assert "Your outcome is recorded on it" in late.get_data(as_text=True)
    with app.app_context():
        card = db.session.get(IssuedCard, card_id)
        assert card.status.value == "done" and card.outcome == "accepted"
        notes = [t.detail for t in card.taps if t.action == "after_move"]
        assert notes == ["Maya Chen after the card moved to Rita Moreno: Offer accepted"]


def test_an_acknowledge_after_the_move_is_noted_and_says_who_has_it(app, auth, client, world):
    arrive(client, world)
    card_id = only_card(app).id
    auth.login("host", email="maya@example.test")
    token = auth.csrf_token("/host/")
    with app.app_context():
        rita = make_user(role="host", email="rita@example.test", display_name="Rita Moreno")
        make_shift(rita, manager=True)
        rita_id = rita.id
        escalate_overdue(utcnow() + timedelta(minutes=6), minutes=5)
    late = client.post(
        f"/host/cards/{card_id}/actions",
        data={"action": "acknowledge", "csrf_token": token},
        follow_redirects=True,
    )
    assert "Rita Moreno has it now" in late.get_data(as_text=True)
    with app.app_context():
        card = db.session.get(IssuedCard, card_id)
        assert card.status.value == "open" and card.assignee_id == rita_id
        assert "after_move" in [t.action for t in card.taps]


def test_words_are_plain(app, auth, client, world):
    arrive(client, world)
    card = only_card(app)
    auth.login("host", email="maya@example.test")
    token = auth.csrf_token("/host/")
    html = client.get(f"/host/cards/{card.id}").get_data(as_text=True)
    why = html[html.index("Why this card") : html.index("for analysts")]
    assert "Shown because: Service recovery after a complaint; High expected value arrival." in why
    assert "The guest&#39;s rating of the previous visit, 1 to 5: 2." in why
    assert "Expected theoretical win over the next 90 days: $8,000.00." in why
    assert "guest." not in why and "[" not in why and "guest_value-test" not in why
    client.post(
        f"/host/cards/{card.id}/actions",
        data={"action": "not_relevant", "reason": "not_here", "csrf_token": token},
    )
    html = client.get(f"/host/cards/{card.id}").get_data(as_text=True)
    assert "Status: <strong>Not relevant</strong>" in html and "Dismissed" not in html


def test_old_unacted_alerts_fold_away(app, auth, client, world):
    arrive(client, world)
    card_id = only_card(app).id
    with app.app_context():
        card = db.session.get(IssuedCard, card_id)
        card.created_at = utcnow() - timedelta(hours=2)
        db.session.commit()
    auth.login("host", email="maya@example.test")
    html = client.get("/host/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "No new alerts" in html and "No open alerts" not in html  # one of them is open
    assert "1 earlier alert nobody acted on" in html and f'data-card-id="{card_id}"' in html


def test_guest_book_searches_and_opens_a_guest(app, auth, client, world):
    with app.app_context():
        maya = db.session.get(User, world["host_id"])
        for n in range(60):
            make_guest(host=maya, name=f"Zed Number {n}")
    auth.login("host", email="maya@example.test")
    found = client.get("/host/guests?q=ava", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert found.count('class="row"') == 1 and "Ava Walsh" in found and "<html" not in found
    assert f'href="/host/guests/{world["guest_id"]}"' in found
    none = client.get("/host/guests?q=nobody%25").get_data(as_text=True)
    assert "None of your guests matches “nobody%”." in none
    page = client.get(f"/host/guests/{world['guest_id']}").get_data(as_text=True)
    assert "Ava Walsh" in page and "Room not ready at check-in." in page
    other = AuthActions(client, app)
    other.login("host", email="someone.else@example.test")
    assert client.get(f"/host/guests/{world['guest_id']}").status_code == 404
