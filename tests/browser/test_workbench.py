"""The analyst tunes a rule from the browser: live check, backtest, publish, the floor's next
card names the new version, rollback; on a phone and on a laptop."""

import pytest
import requests
from sqlalchemy import select

from frontline.extensions import db
from frontline.guidance import rulebook
from frontline.guidance.packs import published_pack, shelf
from frontline.tables import IssuedCard, User
from tests.browser.conftest import screenshot, sign_in
from tests.factories import arrival, make_floor, make_token, make_user
from tests.frontline.test_workbench import install_shipped_packs

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 800}
OLD = "had a bad last visit: recover first"
NEW = "needs a recovery first"


@pytest.fixture
def floor(app):
    with app.app_context():
        install_shipped_packs()
        make_user("analyst", email="analyst@demo.test", password="demo")
        make_floor(guest_ids=("G1", "G2"), complaint="Cold food.")
        return {"token": make_token()}


def post_arrival(url: str, token: str, guest: str) -> None:
    answer = requests.post(
        f"{url}/api/v1/events", json=arrival(guest),
        headers={"Authorization": f"Bearer {token}"}, timeout=10,
    )  # fmt: skip
    assert answer.status_code == 202, answer.text


def newest_card(app) -> IssuedCard:
    with app.app_context():
        query = select(IssuedCard).where(IssuedCard.rule_id == "service-recovery")
        return db.session.scalars(query.order_by(IssuedCard.id.desc())).first()


def edit(page, find: str, replace: str) -> None:
    """Type into the editor as a person would: the live check follows every keystroke."""
    box = page.locator("#pack-text")
    text = box.input_value()
    assert find in text
    box.fill(text.replace(find, replace, 1))
    box.press("End")  # an input event, as typing fires


@pytest.mark.parametrize("viewport", [None, LAPTOP], ids=["phone", "laptop"])
def test_analyst_tunes_publishes_and_rolls_back(browser, live_server, floor, app, viewport):
    context = browser.new_context(
        viewport=viewport or {"width": 390, "height": 844},
        device_scale_factor=2 if viewport is None else 1,
        is_mobile=viewport is None, has_touch=viewport is None,
    )  # fmt: skip
    page, url, size = context.new_page(), live_server.url, "laptop" if viewport else "phone"
    post_arrival(url, floor["token"], "G1")  # the log has a day to replay
    sign_in(page, url, "analyst@demo.test")
    page.get_by_role("link", name="Rules", exact=True).click()
    page.get_by_role("link", name="Versions, draft and publishing →").first.click()
    page.get_by_role("link", name="Edit the draft").click()

    edit(page, "guest.last_visit_rating <= 2", "guest.last_visit_rating <=")
    error = page.locator("[data-check=error]")
    error.wait_for(timeout=3000)
    assert "line" in error.inner_text() and "^" in error.inner_text()
    screenshot(page, f"workbench-check-error-{size}")
    edit(page, "guest.last_visit_rating <=", "guest.last_visit_rating <= 2")
    page.locator("[data-check=ok]").wait_for(timeout=3000)
    edit(page, OLD, NEW)
    page.locator("[data-check=ok]").wait_for(timeout=3000)
    page.get_by_role("button", name="Save the draft").click()

    page.get_by_role("link", name="Backtest (30 days)").click()
    page.locator("[data-evaluations]").wait_for(timeout=5000)
    assert int(page.locator("[data-diff=changed]").inner_text()) >= 1
    assert NEW in page.locator(".examples").inner_text()
    screenshot(page, f"workbench-backtest-{size}")
    page.get_by_label("Why (one line, for the audit log)").fill("Lead with the recovery")
    page.get_by_role("button", name="Publish as version 2").click()
    page.locator("[data-published='2']").wait_for(timeout=3000)
    screenshot(page, f"workbench-published-{size}")

    post_arrival(url, floor["token"], "G2")  # the next arrival, through the API
    card = newest_card(app)
    assert card.pack_version == "v2" and NEW in card.headline

    page.get_by_text("Roll back to v1").click()
    page.locator(".rollback input[name=reason]").first.fill("Back to the tested headline")
    page.get_by_role("button", name="Publish v1 again").click()
    page.locator("[data-published='3']").wait_for(timeout=3000)
    with app.app_context():
        shelf().forget("host")
        assert OLD in published_pack("host").rule("service-recovery").card.headline.source
    width = (viewport or {"width": 390})["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()


def test_the_sales_lead_signs_off_on_a_phone(phone, live_server, floor, app):
    with app.app_context():
        make_user("host", email="rita@demo.test", password="demo", signs_off="host")
        analyst = User.by_email("analyst@demo.test")
        pack = rulebook.pack_for("host")
        rulebook.require_signoff(pack, True, analyst)
        rulebook.save_draft(pack, pack.draft.replace(OLD, NEW), analyst, 1)
        rulebook.publish(pack, analyst, "Lead with the recovery", 1)
    post_arrival(live_server.url, floor["token"], "G1")  # still made by v1
    assert newest_card(app).pack_version == "v1"
    sign_in(phone, live_server.url, "rita@demo.test")
    phone.get_by_role("link", name="Sign-off").click()
    phone.locator("[data-version='2']").wait_for()
    screenshot(phone, "lead-signoff")
    phone.get_by_role("button", name="Sign off: it runs now").click()
    phone.get_by_text("Version 2 runs from now on.").wait_for()
    with app.app_context():
        shelf().forget("host")
    post_arrival(live_server.url, floor["token"], "G2")
    card = newest_card(app)
    assert card.pack_version == "v2" and NEW in card.headline
