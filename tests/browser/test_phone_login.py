"""Each role signs in on a phone-sized Chromium and lands on a usable home page."""

from datetime import date

import pytest

from frontline import demo
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

SMALL = demo.Sizes(guests=200, shippers=40, quotes=300, past_flight_days=10, future_flight_days=10)
HOMES = {
    "host@demo.test": ("/host/", "Your guests"),
    "rep@demo.test": ("/rep/", "Your next departures"),
    "analyst@demo.test": ("/analyst/", "Overview"),
    "admin@demo.test": ("/admin/", "People"),
}


@pytest.fixture
def demo_world(app):
    with app.app_context():
        demo.load(seed=5, today=date.today(), sizes=SMALL)


@pytest.mark.parametrize("email", sorted(HOMES))
def test_role_lands_on_home(phone, live_server, demo_world, email):
    path, heading = HOMES[email]
    sign_in(phone, live_server.url, email)
    phone.wait_for_url(f"{live_server.url}{path}")
    assert phone.get_by_role("heading", level=1).inner_text() == heading
    assert phone.locator(".badge.demo").first.is_visible()  # demo accounts are marked
    # Phone-first: nothing is wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, f"home-{email.split('@')[0]}")


def test_wrong_password_shows_message(phone, live_server, demo_world):
    sign_in(phone, live_server.url, "host@demo.test", password="wrong")
    assert phone.get_by_role("alert").inner_text().startswith("That e-mail and password")
    screenshot(phone, "login-error")


def test_sign_out_returns_to_login(phone, live_server, demo_world):
    sign_in(phone, live_server.url, "host@demo.test")
    phone.wait_for_url(f"{live_server.url}/host/")
    phone.get_by_role("button", name="Sign out").click()
    phone.wait_for_url(f"{live_server.url}/login")
    assert phone.get_by_role("status").inner_text() == "You are signed out."
