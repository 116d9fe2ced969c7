"""A guest arrives; the card appears on the host's phone without a reload; she acts on it."""

import time
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
import requests
from sqlalchemy import select

from frontline import demo
from frontline.extensions import db
from frontline.scoring.facts import save_facts
from frontline.tables import CardStatus, Guest, IssuedCard, User
from tests.browser.conftest import screenshot, sign_in
from tests.factories import arrival, make_token, make_visit

pytestmark = pytest.mark.browser

SMALL = demo.Sizes(guests=120, shippers=20, quotes=100, past_flight_days=5, future_flight_days=5)


@pytest.fixture
def world(app):
    """The demo world, with one of Maya's guests who loves sushi and complained last time."""
    with app.app_context():
        demo.load(seed=11, today=date.today(), sizes=SMALL)
        maya = User.by_email("host@demo.test")
        guest = db.session.scalars(select(Guest).where(Guest.host_id == maya.id)).first()
        guest.name, guest.cuisines = "Ava Walsh", ["sushi"]
        guest.self_excluded = guest.do_not_market = False
        make_visit(guest, days_ago=0, rating=1, complaint="Waited 40 minutes for a table.")
        scores = {
            "guest.value_90d": Decimal("1240.00"),
            "guest.return_prob_90d": 0.82,
            "guest.adt_trend": -0.12,
            "model_version": "guest_value-test",
        }
        save_facts("guest", pd.DataFrame([scores], index=[guest.id]))
        return {"token": make_token(), "guest": guest.external_id}


def post_arrival(live_server, world) -> None:
    """Ava walks into the high-limit room, as the floor system reports it."""
    response = requests.post(
        f"{live_server.url}/api/v1/events",
        json=arrival(world["guest"], zone="high_limit"),
        headers={"Authorization": f"Bearer {world['token']}"},
        timeout=10,
    )
    assert response.status_code == 202, response.text


def test_arrival_appears_live_and_host_acts(phone, live_server, world):
    sign_in(phone, live_server.url, "host@demo.test")
    phone.wait_for_url(f"{live_server.url}/host/")
    phone.wait_for_function("document.querySelector('#inbox [data-open-count]') !== null")
    started = time.monotonic()
    post_arrival(live_server, world)
    alert = phone.locator(".alert", has_text="Ava Walsh").first
    alert.wait_for(timeout=2000)  # live, without a reload, within 2 s
    assert time.monotonic() - started < 2.5
    assert "High-limit room" in alert.inner_text() or "High limit" in alert.inner_text()
    screenshot(phone, "host-inbox-alert")

    alert.click()
    phone.get_by_role("heading", name="Ava Walsh").wait_for()
    card = phone.locator("#card")
    screenshot(phone, "host-card")
    text = card.inner_text()
    assert "sushi" in text, text
    assert "Waited 40 minutes" in text, text
    assert "$1,240" in text and "82%" in text, text  # the model's scores reach the card
    phone.get_by_role("button", name="On my way").click()
    phone.locator(".status", has_text="On my way").wait_for()
    phone.get_by_role("button", name="Offer accepted").click()
    phone.locator(".status", has_text="Offer accepted").wait_for()
    screenshot(phone, "host-card-done")


def test_a_refused_tap_says_why_at_once(phone, live_server, world, app):
    """The card was closed on another phone; a tap on this stale screen is refused, and says so."""
    post_arrival(live_server, world)
    sign_in(phone, live_server.url, "host@demo.test")
    phone.locator(".alert", has_text="Ava Walsh").first.click()
    phone.get_by_role("heading", name="Ava Walsh").wait_for()
    url = phone.url
    with app.app_context():
        card = db.session.get(IssuedCard, int(url.rstrip("/").split("/")[-1]))
        card.status = CardStatus.DONE  # as if tapped Done on another phone
        db.session.commit()
    phone.get_by_role("button", name="On my way").click()
    message = phone.locator("#messages .flash")
    message.wait_for(timeout=2000)
    assert "already done" in message.inner_text()
    assert phone.url == url  # no page load: the message came with the swap
    screenshot(phone, "host-card-refused")
    phone.reload()
    assert phone.locator("#messages .flash").count() == 0  # shown once, not again later


def test_a_card_that_expires_while_open_says_so_live(phone, live_server, world, app):
    """The visit is long over: the open card screen turns to "Expired" without a reload, with
    no button left, and the inbox no longer lists it."""
    from datetime import timedelta

    from frontline.casino.expiry import expire_cards
    from frontline.tables import utcnow

    post_arrival(live_server, world)
    sign_in(phone, live_server.url, "host@demo.test")
    phone.locator(".alert", has_text="Ava Walsh").first.click()
    phone.get_by_role("heading", name="Ava Walsh").wait_for()
    url = phone.url
    phone.get_by_role("button", name="On my way").wait_for()
    with app.app_context():
        assert expire_cards(utcnow() + timedelta(hours=13), 12) >= 1
    phone.locator(".status", has_text="Expired").wait_for(timeout=5000)
    assert "This card expired at" in phone.locator("#card .moved").inner_text()
    assert phone.get_by_role("button", name="On my way").count() == 0
    assert phone.url == url  # no page load: the stream said, htmx re-read
    screenshot(phone, "host-card-expired")
    phone.get_by_role("link", name="← Inbox").click()
    phone.wait_for_function("document.querySelector('#inbox [data-open-count]') !== null")
    assert phone.locator(".alert", has_text="Ava Walsh").count() == 0
