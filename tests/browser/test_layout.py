"""Long unbroken strings wrap: no page gets wider than the phone (issue 15)."""

import pytest
from sqlalchemy import select

from frontline.extensions import db
from frontline.tables import Guest
from tests.browser.conftest import PHONE, screenshot, sign_in
from tests.browser.test_host_alerts import post_arrival, world  # noqa: F401  (fixture)
from tests.factories import make_visit

pytestmark = pytest.mark.browser

WIDER_THAN_THE_SCREEN = "document.documentElement.scrollWidth"


def test_long_unbroken_name_and_complaint_wrap(phone, live_server, world, app):  # noqa: F811
    with app.app_context():
        guest = db.session.scalar(select(Guest).where(Guest.external_id == world["guest"]))
        guest.name = "W" * 120
        make_visit(guest, days_ago=0, rating=1, complaint="x" * 2000)
    post_arrival(live_server, world)
    sign_in(phone, live_server.url, "host@demo.test")
    alert = phone.locator(".alert", has_text="WWWW").first
    alert.wait_for()
    assert phone.evaluate(WIDER_THAN_THE_SCREEN) <= PHONE["width"]
    when = alert.locator(".when").bounding_box()
    assert when["height"] < 30, "'just now' squeezed to a letter a line by the long name"
    screenshot(phone, "host-inbox-long-name")
    alert.click()
    phone.locator("#card").wait_for()
    screenshot(phone, "host-card-long-strings")
    assert phone.evaluate(WIDER_THAN_THE_SCREEN) <= PHONE["width"]


def test_a_long_but_ordinary_name_leaves_the_time_on_one_line(phone, live_server, world, app):  # noqa: F811
    """Words wrap too: a four-part name used to squeeze "just now" into a column of letters."""
    with app.app_context():
        guest = db.session.scalar(select(Guest).where(Guest.external_id == world["guest"]))
        guest.name = "Maximiliana Alexandrovna Konstantinopoulou-Worthington-Fairweather"
        db.session.commit()
    post_arrival(live_server, world)
    sign_in(phone, live_server.url, "host@demo.test")
    alert = phone.locator(".alert", has_text="Maximiliana").first
    alert.wait_for()
    assert alert.locator(".when").bounding_box()["height"] < 30
    assert phone.evaluate(WIDER_THAN_THE_SCREEN) <= PHONE["width"]
