"""The local plan on phones: the rep's lane market and who to call on an approval; a target the
analyst sets reaches the sales lead with who set it and when."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from frontline.cargo.markets import lane_markets
from frontline.cargo.refresh import refresh as refresh_outlook
from frontline.extensions import db
from frontline.tables import Customer, DirectoryEntry, Flight, Lane, User, utcnow
from tests.browser.conftest import PHONE, screenshot, sign_in
from tests.browser.test_rep_flow import fill_quote
from tests.factories import make_user

pytestmark = pytest.mark.browser

PRODUCT_MANAGER = "Henrike Baumgartner-Oyelaran"  # FRA-ORD's, in the demo directory


def fits(page) -> bool:
    """No page gets wider than the phone."""
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.fixture
def world(cargo_world):
    """The demo world; FRA-ORD's product manager on duty now; a $1,000 deal is already large."""
    app = cargo_world
    app.config["LARGE_DEAL_USD"] = 1000
    with app.app_context():
        db.session.execute(
            update(DirectoryEntry)
            .where(DirectoryEntry.market == "FRA-ORD", DirectoryEntry.role == "product_manager")
            .values(duty_days="1234567", duty_from=0, duty_to=24)
        )
        db.session.commit()
        rep = User.by_email("rep@demo.test")
        customer = db.session.scalars(
            select(Customer).where(Customer.rep_id == rep.id).order_by(Customer.code)
        ).first()
        return {"customer": customer.code}


def test_the_reps_market_and_who_to_call_on_an_approval(phone, browser, live_server, world, app):
    base = live_server.url
    sign_in(phone, base, "rep@demo.test")
    phone.wait_for_url(f"{base}/rep/")
    phone.get_by_role("link", name="Market").click()
    lane = phone.locator("article.market[data-market=FRA-ORD]")
    lane.wait_for()
    with app.app_context():
        lane_id = db.session.scalar(select(Lane.id).where(Lane.code == "FRA-ORD"))
        (expected,) = lane_markets(utcnow(), [lane_id])
    assert lane.locator("[data-actual]").get_attribute("data-actual") == str(expected.actual)
    assert f"{expected.share * 100:.0f}%" in lane.locator("[data-share]").inner_text()
    assert "set by" in lane.locator(".target").inner_text()
    lane.scroll_into_view_if_needed()
    assert fits(phone)
    screenshot(phone, "rep-my-market")

    phone.get_by_role("link", name="Quotes").click()
    phone.get_by_role("link", name="New quote").click()
    fill_quote(phone, world["customer"], rate="0.50")
    line = phone.locator(".market-line[data-market=FRA-ORD]")
    line.wait_for()  # loaded after the guidance
    assert "FRA-ORD: ours" in line.inner_text()
    phone.fill("textarea[name=reason]", "Matching a tender; they move 40 t a week")
    phone.get_by_role("button", name="Quote on").click()
    phone.locator("[data-approval=pending]").wait_for()
    contact = phone.locator(".contact")
    assert PRODUCT_MANAGER in contact.inner_text()
    call = contact.get_by_role("link", name=re.compile("^Call"))
    assert call.get_attribute("href") == "tel:+496955002101"
    assert contact.get_by_role("link", name="Message").get_attribute("href").startswith("sms:+49")
    contact.scroll_into_view_if_needed()
    assert fits(phone)
    screenshot(phone, "rep-approval-who-to-call")

    approver = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    analyst = approver.new_page()
    sign_in(analyst, base, "analyst@demo.test")
    analyst.goto(f"{base}/analyst/approvals")
    involve = analyst.locator(".approval-request .contact").first
    assert PRODUCT_MANAGER in involve.inner_text()
    assert involve.get_by_role("link", name=re.compile("^Call")).get_attribute("href") == (
        "tel:+496955002101"
    )
    approver.close()


def test_a_rep_card_shows_who_to_call(phone, live_server, world, app):
    base = live_server.url
    with app.app_context():
        flight = db.session.scalars(
            select(Flight)
            .join(Flight.lane)
            .where(Lane.code == "FRA-ORD", Flight.departs_at > utcnow() + timedelta(days=4))
            .order_by(Flight.departs_at)
        ).first()
        flight.departs_at = utcnow() + timedelta(days=5)
        flight.booked_kg = int(flight.capacity_kg * 0.3)
        db.session.commit()
        refresh_outlook(utcnow(), flight_ids=[flight.id])
    sign_in(phone, base, "rep@demo.test")
    phone.locator(".rep-alert[data-rule=soft-departure]").first.click()
    contact = phone.locator("#card .contact")
    contact.wait_for()
    assert (
        contact.get_by_role("link", name=re.compile("^Call"))
        .get_attribute("href")
        .startswith("tel:+")
    )
    contact.scroll_into_view_if_needed()
    assert fits(phone)
    screenshot(phone, "rep-card-who-to-call")


def test_the_analyst_sets_a_target_and_the_sales_lead_sees_it(phone, browser, live_server, world):
    base = live_server.url
    sign_in(phone, base, "analyst@demo.test")
    phone.wait_for_url(f"{base}/analyst/")
    phone.get_by_role("link", name="Plan").click()
    market = phone.locator("details.market[data-market=FRA-JFK]")
    market.locator("summary").first.click()
    market.locator("input[name=amount]").fill("-5")
    market.get_by_role("button", name="Set target").click()
    phone.locator(".errors [data-field=amount]").wait_for()
    assert "zero or more" in phone.locator(".errors").first.inner_text()
    screenshot(phone, "plan-target-refused")
    market = phone.locator("details.market[data-market=FRA-JFK]")
    market.locator("input[name=amount]").fill("4,500,000")
    market.locator("input[name=note]").fill("Agreed with Clara: the Chicago tender")
    market.get_by_role("button", name="Set target").click()
    phone.locator(".flash", has_text="FRA-JFK").wait_for()

    lead = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = lead.new_page()
    sign_in(page, base, "clara.jensen@demo.test")
    page.get_by_role("link", name="Sign-off").click()
    page.get_by_role("link", name="Local plan").click()
    shown = page.locator("details.market[data-market=FRA-JFK]")
    shown.locator("summary").first.click()
    target = shown.locator(".target")
    assert "$4,500,000" in target.inner_text() and "Ana Ruiz" in target.inner_text()
    assert "just now" in target.inner_text() and "Chicago tender" in target.inner_text()
    assert "Earlier targets" in shown.inner_text()  # the seeded one is kept
    shown.scroll_into_view_if_needed()
    assert fits(page)
    screenshot(page, "plan-lead-sees-target")
    lead.close()


def test_empty_market_and_the_admins_directory(phone, live_server, world, app):
    base = live_server.url
    with app.app_context():
        make_user(role="rep", email="new.rep@example.test", password="pw-for-tests")
    sign_in(phone, base, "new.rep@example.test", "pw-for-tests")
    phone.get_by_role("link", name="Market").click()
    assert "No lanes yet" in phone.locator(".empty").inner_text()
    screenshot(phone, "rep-my-market-empty")
    phone.get_by_role("button", name="Sign out").click()
    sign_in(phone, base, "host@demo.test")
    phone.get_by_role("link", name="My market").click()
    market = phone.locator("details.market").first
    market.locator("summary").click()
    assert "Ours, last 90 days" in market.inner_text() and fits(phone)
    screenshot(phone, "host-my-market")
    phone.get_by_role("button", name="Sign out").click()
    sign_in(phone, base, "admin@demo.test")
    phone.get_by_role("link", name=re.compile("Who to call")).click()
    entry = phone.locator(".directory-entry", has_text=PRODUCT_MANAGER).first
    entry.wait_for()
    assert fits(phone)
    screenshot(phone, "admin-directory")
