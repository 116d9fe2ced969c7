"""The rep on a phone: a pushed card arrives live, capacity, a quote won, an approval answered."""

import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from frontline.cargo.refresh import refresh as refresh_outlook
from frontline.extensions import db
from frontline.tables import Customer, Flight, Lane, User, utcnow
from tests.browser.conftest import LINES, PHONE, screenshot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def world(cargo_world):
    """The demo world; one of Tom's key accounts holds only a sliver of its wallet with us."""
    app = cargo_world
    with app.app_context():
        rep = User.by_email("rep@demo.test")
        customer = db.session.scalars(
            select(Customer).where(Customer.rep_id == rep.id).order_by(Customer.code)
        ).first()
        customer.name, customer.tier = "Nordlicht Logistics", "key"
        customer.est_annual_spend = Decimal("250000000.00")
        db.session.commit()
        return {"customer": customer.code, "customer_id": customer.id}


def soften_a_departure() -> str:
    """One of Tom's FRA-ORD departures five days out, 30% loaded; the rules then push a card."""
    now = utcnow()
    flight = db.session.scalars(
        select(Flight)
        .join(Flight.lane)
        .where(Lane.code == "FRA-ORD", Flight.departs_at > now + timedelta(days=4))
        .order_by(Flight.departs_at)
    ).first()
    flight.departs_at = now + timedelta(days=5)
    flight.booked_kg = int(flight.capacity_kg * 0.3)
    db.session.commit()
    refresh_outlook(utcnow(), flight_ids=[flight.id])
    return flight.number


def fill_quote(page, customer: str, rate: str = "") -> None:
    page.fill("#customer-q", customer)  # type-ahead by account code
    page.locator(f"input[name=customer][value={customer}]").check()
    page.select_option("select[name=lane]", "FRA-ORD")
    page.fill("input[name=ready_date]", (date.today() + timedelta(days=1)).isoformat())
    page.fill("input[name=weight_kg]", "2400")
    page.fill("input[name=volume_m3]", "12.5")
    page.fill("input[name=rate]", rate)
    page.get_by_role("button", name="Get guidance").click()
    page.locator(".rates").wait_for()
    page.wait_for_load_state("networkidle")  # the checks as typed have all answered


def test_rep_quotes_from_a_phone(phone, browser, live_server, world, app):
    base = live_server.url
    sign_in(phone, base, "rep@demo.test")
    phone.wait_for_url(f"{base}/rep/")
    phone.wait_for_function("document.querySelector('#inbox [data-open-count]') !== null")
    time.sleep(0.3)  # the stream is connected once its sync has been read
    with app.app_context():
        number = soften_a_departure()  # the outlook refresh runs here, before the clock starts
    started = time.monotonic()
    card = phone.locator(".rep-alert[data-rule=soft-departure]")
    card.wait_for(timeout=3000)  # live, without a reload
    assert time.monotonic() - started < 3.5
    assert number in card.inner_text()
    screenshot(phone, "rep-inbox-card")

    phone.get_by_role("link", name="Capacity").click()
    phone.locator("[data-flight-count]").wait_for()
    assert phone.locator(".row.flight .bar").count() > 0
    screenshot(phone, "rep-capacity")

    phone.get_by_role("link", name="Quotes", exact=True).click()
    phone.get_by_role("link", name="New quote").click()
    fill_quote(phone, world["customer"])
    guidance = phone.locator("#guidance").inner_text()
    for word in ("Floor", "Recommended", "Stretch", "Competitors on FRA-ORD"):
        assert word in guidance, guidance
    assert phone.locator(".rule-card").count() >= 1
    assert "Why:" in phone.locator(".rule-card").first.inner_text()
    for label in phone.locator(".rate > span:first-child").all():  # "Recommende / d" was seen
        assert label.evaluate(LINES) == 1, label.inner_text()
    screenshot(phone, "rep-quote-guidance")
    phone.locator(".rule-cards").scroll_into_view_if_needed()
    screenshot(phone, "rep-quote-cards")

    recommended = phone.locator("input[name=rate]").last.input_value()
    phone.get_by_role("button", name="Quote on").click()
    phone.locator(".outcome").wait_for()
    won = f"{Decimal(recommended) + Decimal('0.02')}"
    phone.fill("input[name=won_rate]", won)
    phone.get_by_role("button", name="Won", exact=True).click()
    phone.locator(".status", has_text="Won").wait_for()
    phone.get_by_role("link", name="history").click()
    history = phone.locator(".recent-quotes li").first
    assert "won" in history.inner_text().lower() and f"${won}/kg" in history.inner_text()
    screenshot(phone, "rep-customer-history")

    approver = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    analyst = approver.new_page()
    sign_in(analyst, base, "analyst@demo.test")
    analyst.wait_for_url(f"{base}/analyst/")
    analyst.goto(f"{base}/analyst/approvals")
    analyst.wait_for_function("document.querySelector('[data-pending-count]') !== null")
    time.sleep(0.3)

    phone.get_by_role("link", name="Quotes", exact=True).click()
    phone.get_by_role("link", name="New quote").click()
    fill_quote(phone, world["customer"], rate="0.50")
    assert phone.locator(".rule-card[data-rule=hold-the-floor]").count() == 1
    phone.fill("textarea[name=reason]", "Matching a tender; they move 40 t a week")
    phone.get_by_role("button", name="Quote on").click()
    phone.locator("[data-approval=pending]").wait_for()
    screenshot(phone, "rep-awaiting-approval")

    request = analyst.locator(".approval-request").first
    request.wait_for(timeout=3000)  # live on the approver's phone
    assert (
        "Matching a tender" in request.inner_text()
        and "below the floor" in request.inner_text().lower()
    )
    screenshot(analyst, "analyst-approval-request")
    analyst.get_by_role("button", name="Approve").click()
    phone.locator("[data-approval=approved]").wait_for(timeout=3000)  # the rep sees it live
    screenshot(phone, "rep-approved")
    approver.close()
