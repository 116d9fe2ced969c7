"""Issue 14 on a 390x844 phone: a card that moves while open, one alert per arrival, status
only forward, an outcome undone, the customer type-ahead, the analyst's navigation."""

import re
import time
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import select

from frontline import demo
from frontline.casino.escalation import escalate_overdue
from frontline.extensions import db
from frontline.scoring.facts import save_facts
from frontline.tables import Customer, Guest, IssuedCard, Quote, User, utcnow
from tests.browser.conftest import screenshot, sign_in
from tests.factories import arrival, make_token, make_visit

pytestmark = pytest.mark.browser

SMALL = demo.Sizes(guests=120, shippers=20, quotes=100, past_flight_days=5, future_flight_days=5)


@pytest.fixture
def floor(app):
    """Maya's guest Ava, with a long name: complained last time and is worth a lot."""
    with app.app_context():
        demo.load(seed=11, today=date.today(), sizes=SMALL)
        maya = User.by_email("host@demo.test")
        guest = db.session.scalars(select(Guest).where(Guest.host_id == maya.id)).first()
        guest.name = "Ava Walsh-Fitzgerald de la Cruz Montgomery"
        guest.cuisines, guest.self_excluded, guest.do_not_market = ["sushi"], False, False
        make_visit(guest, days_ago=3, rating=1, complaint="Waited 40 minutes for a table.")
        scores = {"guest.value_90d": Decimal("8000.00"), "model_version": "guest_value-test"}
        save_facts("guest", pd.DataFrame([scores], index=[guest.id]))
        return {"token": make_token(), "guest": guest.external_id, "guest_id": guest.id}


def post_arrival(live_server, floor) -> None:
    response = requests.post(
        f"{live_server.url}/api/v1/events",
        json=arrival(floor["guest"], zone="high_limit"),
        headers={"Authorization": f"Bearer {floor['token']}"},
        timeout=10,
    )
    assert response.status_code == 202, response.text


def open_the_card(phone, live_server, floor):
    sign_in(phone, live_server.url, "host@demo.test")
    phone.wait_for_url(f"{live_server.url}/host/")
    phone.wait_for_function("document.querySelector('#inbox [data-open-count]') !== null")
    post_arrival(live_server, floor)
    alert = phone.locator(".alert", has_text="Ava Walsh")
    alert.first.wait_for(timeout=3000)
    assert alert.count() == 1, "one alert per arrival"
    assert "+ 1 more reason" in alert.inner_text()
    screenshot(phone, "screens-host-one-alert")
    alert.click()
    phone.locator("#card").wait_for()
    return int(phone.url.rstrip("/").split("/")[-1])


def test_one_alert_per_arrival_and_status_only_forward(phone, live_server, floor, app):
    card_id = open_the_card(phone, live_server, floor)
    card = phone.locator("#card")
    assert (
        "Greet in person: worth about $8,000.00" in card.inner_text()
    )  # the other reason, inside the one alert
    countdown = phone.locator(".moves .countdown")
    countdown.wait_for()
    phone.wait_for_function(
        "document.querySelector('.moves .countdown').textContent.includes('in ')"
    )
    assert re.search(r"in [0-5]:\d\d", countdown.inner_text()), countdown.inner_text()
    screenshot(phone, "screens-host-card-countdown")
    phone.get_by_role("button", name="On my way").click()
    phone.locator(".status", has_text="On my way").wait_for()
    assert phone.get_by_role("button", name="Acknowledge").count() == 0
    assert phone.get_by_role("button", name="On my way").count() == 0
    assert phone.locator(".moves").count() == 0  # acknowledged cards stay
    phone.get_by_text("Why this card").click()
    why = phone.locator(".why-more").inner_text()
    assert "Shown because:" in why and "guest." not in why
    screenshot(phone, "screens-host-card-forward")
    with app.app_context():
        assert db.session.get(IssuedCard, card_id).status.value == "on_my_way"
    phone.get_by_role("link", name="← Inbox").click()
    phone.get_by_label("Find a guest").fill("montgomery")
    rows = phone.locator("#guest-rows a.row")
    expect(rows).to_have_count(1)
    screenshot(phone, "screens-host-guest-book")
    rows.first.click()
    phone.get_by_role("heading", name="Recent alerts").wait_for()
    assert "Waited 40 minutes" in phone.locator("main").inner_text()
    screenshot(phone, "screens-host-guest-page")


def test_a_card_moving_while_open_says_so_live_and_keeps_a_late_outcome(
    phone, live_server, floor, app
):
    card_id = open_the_card(phone, live_server, floor)
    phone.locator(".moves .countdown").wait_for()
    time.sleep(0.5)  # the card's stream is connected
    with app.app_context():
        assert escalate_overdue(utcnow() + timedelta(minutes=6), minutes=5) == 1
        holder = db.session.get(IssuedCard, card_id).assignee.display_name
    moved = phone.locator(".moved")
    moved.wait_for(timeout=3000)  # live, without a reload
    assert f"This card moved to {holder}" in moved.inner_text()
    screenshot(phone, "screens-host-card-moved")
    phone.get_by_role("button", name="Offer accepted").click()
    message = phone.locator("#messages .flash")
    message.wait_for(timeout=3000)
    assert "Your outcome is recorded on it" in message.inner_text()
    screenshot(phone, "screens-host-card-late-outcome")
    with app.app_context():
        card = db.session.get(IssuedCard, card_id)
        assert card.status.value == "done" and card.outcome == "accepted"
        assert any(t.action == "after_move" for t in card.taps)


def test_a_late_tap_while_the_card_is_being_reread_still_says_so(phone, live_server, floor, app):
    """The card moved on; a live change re-reads it just as the host taps an outcome. The tap
    wins and its message shows (a re-read swapped in over the tapped form would leave the tap's
    answer nowhere to go: the outcome recorded, the host told nothing)."""
    card_id = open_the_card(phone, live_server, floor)
    time.sleep(0.5)  # the card's stream is connected
    with app.app_context():
        assert escalate_overdue(utcnow() + timedelta(minutes=6), minutes=5) == 1
    phone.locator(".moved").wait_for(timeout=3000)
    phone.evaluate(
        """() => {
          htmx.trigger('#card-live', 'frontline:changed');
          document.querySelector('button[value=accepted]').click();
        }"""
    )
    message = phone.locator("#messages .flash")
    message.wait_for(timeout=3000)
    assert "Your outcome is recorded on it" in message.inner_text()
    # a later live re-read (another change on the card) leaves the unread message in place
    with phone.expect_response(lambda r: r.url.endswith(f"/host/cards/{card_id}")):
        phone.evaluate("htmx.trigger('#card-live', 'frontline:changed')")
    phone.wait_for_timeout(200)  # the swap settles
    assert "Your outcome is recorded on it" in message.inner_text()
    with app.app_context():
        assert db.session.get(IssuedCard, card_id).outcome == "accepted"


@pytest.fixture
def desk(cargo_world):
    app = cargo_world
    with app.app_context():
        rep = User.by_email("rep@demo.test")
        customer = db.session.scalars(
            select(Customer).where(Customer.rep_id == rep.id).order_by(Customer.code)
        ).first()
        customer.name = "Nordlicht Logistics und Spedition Gesellschaft mbH"
        db.session.commit()
        return {"customer": customer.code}


def test_type_ahead_customer_and_an_outcome_undone(phone, live_server, desk, app):
    base = live_server.url
    sign_in(phone, base, "rep@demo.test")
    phone.wait_for_url(f"{base}/rep/")
    phone.get_by_role("link", name="Quotes", exact=True).click()
    phone.get_by_role("link", name="New quote").click()
    assert phone.locator(".field-error:visible").count() == 0  # no red before typing
    phone.fill("#customer-q", "nordlicht")
    pick = phone.locator("#customer-picks input[type=radio]")
    pick.first.wait_for(timeout=3000)
    assert pick.count() <= 8
    screenshot(phone, "screens-rep-type-ahead")
    phone.get_by_label(re.compile("Nordlicht Logistics")).check()
    phone.select_option("select[name=lane]", "FRA-ORD")
    phone.fill("input[name=weight_kg]", "12x")
    phone.locator("#err-weight_kg", has_text="whole kilograms").wait_for(
        timeout=3000
    )  # by the field
    screenshot(phone, "screens-rep-inline-error")
    phone.fill("input[name=weight_kg]", "2400")
    phone.locator(".rates").wait_for(timeout=5000)  # guidance as typed, no button
    assert phone.locator("#err-weight_kg:visible").count() == 0
    give_rate = phone.locator("form.give input[name=rate]")
    recommended = give_rate.input_value()
    warning = phone.locator("[data-below-floor]")
    assert not warning.is_visible()
    give_rate.fill("0.10")  # below the floor: the warning and the reason, right there
    warning.wait_for()
    assert phone.locator("form.give textarea[name=reason]").evaluate("el => el.required")
    warning.scroll_into_view_if_needed()
    screenshot(phone, "screens-rep-below-floor")
    give_rate.fill(recommended)
    warning.wait_for(state="hidden")
    phone.get_by_role("button", name="Quote on").click()
    phone.locator(".outcome").wait_for()
    phone.get_by_role("button", name="Won", exact=True).click()
    undo = phone.locator("form.undo")
    undo.wait_for()
    assert "Recorded: won at" in undo.inner_text()
    screenshot(phone, "screens-rep-undo")
    phone.get_by_role("button", name="Undo").click()
    phone.locator(".status", has_text="Pending").wait_for()
    assert phone.get_by_role("button", name="Won", exact=True).count() == 1
    with app.app_context():
        quote = db.session.scalars(select(Quote).order_by(Quote.id.desc())).first()
        assert quote.outcome.value == "pending"
    phone.get_by_role("link", name="Quotes", exact=True).click()
    open_quotes = phone.locator("[data-state=open]")
    open_quotes.wait_for()
    assert open_quotes.locator(f"[data-quote-id='{quote.id}']").count() == 1
    screenshot(phone, "screens-rep-my-quotes")
    phone.get_by_role("link", name="Inbox").click()
    first_heading = phone.locator("main h1, main h2").first.inner_text()
    assert first_heading == "Your next departures"
    assert phone.locator("main .row.flight").first.is_visible()  # departures before the cards
    screenshot(phone, "screens-rep-home")


def test_analyst_navigates_without_typing_urls(phone, live_server, desk):
    base = live_server.url
    sign_in(phone, base, "analyst@demo.test")
    phone.wait_for_url(f"{base}/analyst/")
    nav = phone.get_by_role("navigation", name="Analyst")
    nav.get_by_role("link", name="Approvals").click()
    phone.get_by_role("heading", name="Approvals").wait_for()
    screenshot(phone, "screens-analyst-approvals")
    phone.get_by_role("navigation", name="Analyst").get_by_role("link", name="Overview").click()
    phone.wait_for_url(f"{base}/analyst/")
