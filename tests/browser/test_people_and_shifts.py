"""Issue 18 on a phone: the admin adds a host, puts her on tonight's spa shift, an arrival in
the spa reaches her phone, her shift ends and her open card moves on with a note. Issue 14's
admin part: disable asks first, swaps only the row (no jump to the top), marks the person."""

from datetime import UTC, datetime, timedelta

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import select

from frontline.extensions import db
from frontline.tables import IssuedCard, User
from tests.browser.conftest import LINES, PHONE, screenshot, sign_in
from tests.factories import arrival, make_guest, make_shift, make_token, make_user, make_visit
from tests.factories import make_zone as zone

pytestmark = pytest.mark.browser


@pytest.fixture
def floor(app):
    """A resort with a spa, a shift manager on duty, an admin and a guest with a complaint."""
    with app.app_context():
        zone("main_floor", "Main casino floor")
        zone("spa", "Spa", "spa")
        make_user(role="admin", email="admin@example.test", password="admin-pass-1",
                  display_name="Sam Okafor")  # fmt: skip
        rita = make_user(role="host", email="rita@example.test", password="rita-pass-12",
                         display_name="Rita Moreno")  # fmt: skip
        make_shift(rita, zones=("spa", "main_floor"), manager=True)
        guest = make_guest(external_id="G-SPA", name="Ivy Lake", tier="platinum")
        make_visit(guest, days_ago=12, rating=1, complaint="Cold towels at the spa.", zone="spa")
        return {"token": make_token()}


def new_phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)  # fmt: skip
    return context, context.new_page()


def test_admin_adds_a_host_whose_spa_shift_gets_the_alert_and_hands_it_over(
    phone, browser, live_server, floor, app
):
    base = live_server.url
    sign_in(phone, base, "admin@example.test", "admin-pass-1")
    phone.get_by_role("link", name="Add a person").click()
    phone.get_by_label("Name", exact=True).fill("Zoe Hart")
    phone.get_by_label("E-mail", exact=True).fill("zoe.hart@example.test")
    phone.get_by_label("Role", exact=True).select_option("host")
    phone.get_by_label("Comp authority (hosts, $)").fill("400")
    phone.get_by_role("button", name="Add and make a set-password link").click()
    link = phone.get_by_role("textbox", name="Set-password link").input_value()
    assert "/set-password/" in link
    screenshot(phone, "admin-person-added")

    host_context, host = new_phone(browser)
    try:
        host.goto(link)
        host.get_by_label("New password").fill("zoe-floor-2026")
        host.get_by_label("Again").fill("zoe-floor-2026")
        host.get_by_role("button", name="Set password").click()
        sign_in(host, base, "zoe.hart@example.test", "zoe-floor-2026")
        host.wait_for_url(f"{base}/host/")

        started = datetime.now(UTC) - timedelta(hours=1)  # the app's resort time is UTC here
        phone.goto(f"{base}/admin/shifts")
        phone.get_by_label("Host", exact=True).select_option(label="Zoe Hart")
        phone.get_by_label("Day").fill(started.strftime("%Y-%m-%d"))
        phone.get_by_label("Starts").fill(started.strftime("%H:%M"))
        phone.get_by_label("Ends").fill((started + timedelta(hours=8)).strftime("%H:%M"))
        phone.get_by_role("checkbox", name="Spa").check()
        phone.get_by_role("button", name="Add the shift").click()
        spa = phone.locator("#cover section[aria-label='Spa']")
        spa.wait_for()
        assert "Zoe Hart" in spa.inner_text() and "Rita Moreno" in spa.inner_text()
        screenshot(phone, "admin-shifts-who-is-on")

        host.wait_for_function("document.querySelector('#inbox [data-open-count]') !== null")
        response = requests.post(f"{base}/api/v1/events", json=arrival("G-SPA", zone="spa"),
                                 headers={"Authorization": f"Bearer {floor['token']}"},
                                 timeout=10)  # fmt: skip
        assert response.status_code == 202, response.text
        alert = host.locator(".alert", has_text="Ivy Lake").first
        alert.wait_for(timeout=3000)  # live on her phone
        assert host.get_by_role("link", name="Shifts").count() == 0  # a host, not the manager
        screenshot(host, "host-spa-alert")

        phone.once("dialog", lambda dialog: dialog.accept())
        phone.get_by_role("button", name="End Zoe Hart's shift now").click()
        phone.locator(".flash", has_text="1 open card handed over").wait_for()
        screenshot(phone, "admin-shift-ended")
        alert.wait_for(state="detached", timeout=3000)  # gone from her phone, live
        with app.app_context():
            rita = User.by_email("rita@example.test")
            cards = db.session.scalars(select(IssuedCard)).all()
            assert cards and {c.assignee_id for c in cards} == {rita.id}
            card_id = cards[0].id

        with app.app_context():
            # she signs off the hosts' rule changes too: two extra links in her top bar
            User.by_email("rita@example.test").signs_off = "host"
            db.session.commit()
        manager_context, manager = new_phone(browser)
        try:
            sign_in(manager, base, "rita@example.test", "rita-pass-12")
            manager.goto(f"{base}/host/cards/{card_id}")
            note = manager.locator("#card", has_text="Handed over from Zoe Hart: shift ended")
            note.wait_for()
            screenshot(manager, "manager-handed-over-card")
            bar = manager.locator(".topbar")
            for name in ("Frontline", "Shifts", "Sign-off"):  # whole words: nothing squeezed
                assert bar.get_by_role("link", name=name).evaluate(LINES) == 1, name
            assert manager.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            screenshot(manager, "manager-top-bar")
            manager.get_by_role("link", name="Shifts").click()  # the manager on duty's roster
            manager.wait_for_url(f"{base}/admin/shifts")
            manager.locator("#cover section[aria-label='Spa']", has_text="Rita Moreno").wait_for()
        finally:
            manager_context.close()
    finally:
        host_context.close()


def test_disable_asks_first_keeps_the_place_and_marks_the_person(phone, live_server, app):
    with app.app_context():
        make_user(role="admin", email="admin@example.test", password="admin-pass-1")
        for n in range(24):
            make_user(role="host", email=f"host{n:02d}@example.test", display_name=f"Host {n:02d}")
    sign_in(phone, live_server.url, "admin@example.test", "admin-pass-1")
    row = phone.locator(".row.person", has_text="Host 20")
    row.scroll_into_view_if_needed()
    before = phone.evaluate("window.scrollY")
    top = row.bounding_box()["y"]
    assert before > 0

    questions = []
    phone.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    row.get_by_role("button", name="Disable Host 20").click()
    phone.wait_for_timeout(300)
    assert questions and questions[0].startswith("Disable Host 20?")
    assert "disabled" not in row.inner_text()  # dismissed: nothing happened

    phone.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Disable Host 20").click()
    row.locator(".badge.off", has_text="disabled").wait_for()
    # Only the row was swapped: the page did not jump to the top, the row stayed where it was
    # (the browser's scroll anchoring absorbs the message bar that appears above).
    assert phone.evaluate("window.scrollY") >= before
    assert abs(row.bounding_box()["y"] - top) < 2
    assert row.get_by_role("button", name="Enable Host 20").is_visible()
    screenshot(phone, "admin-disabled-row")
    with app.app_context():
        assert not User.by_email("host20@example.test").enabled

    phone.get_by_label("Search").fill("host 2")
    expect(phone.locator("#results .row.person")).to_have_count(4)
    names = phone.locator("#results .row.person .name").all_inner_texts()
    assert names == ["Host 20", "Host 21", "Host 22", "Host 23"]
    screenshot(phone, "admin-people-search")


def test_a_weeks_roster_on_a_laptop(browser, live_server, app):
    """The roster is a table of hosts by day that uses a laptop's width."""
    with app.app_context():
        zone("spa", "Spa", "spa")
        zone("main_floor", "Main casino floor")
        make_user(role="admin", email="admin@example.test", password="admin-pass-1")
        for n in range(6):
            host = make_user(role="host", display_name=f"Host {n}")
            for day in range(7):
                shift = make_shift(host, zones=("spa", "main_floor")[: 1 + n % 2], manager=n == 0)
                shift.starts_at += timedelta(days=day, hours=8 * (n % 3))
                shift.ends_at += timedelta(days=day, hours=8 * (n % 3))
        db.session.commit()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        sign_in(page, live_server.url, "admin@example.test", "admin-pass-1")
        page.goto(f"{live_server.url}/admin/shifts/week")
        table = page.locator("table.roster")
        table.wait_for()
        assert table.locator("tbody tr").count() == 6
        assert table.bounding_box()["width"] > 1000  # the laptop's width, not a phone column
        screenshot(page, "admin-week-roster-laptop")
    finally:
        context.close()
