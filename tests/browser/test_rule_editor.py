"""The analyst edits one rule as a form on a phone: fact suggestions under the condition, the
engine's message under the field with a caret, the examples run as she types, a preview on a
real arrival, and the rule saved into the draft."""

import re

import pytest
import requests

from frontline.guidance import rulebook
from tests.browser.conftest import screenshot, sign_in
from tests.factories import arrival, make_floor, make_token, make_user
from tests.frontline.test_workbench import install_shipped_packs

pytestmark = pytest.mark.browser

RULE = "service-recovery"


@pytest.fixture
def floor(app):
    with app.app_context():
        install_shipped_packs()
        make_user("analyst", email="analyst@demo.test", password="demo")
        make_floor(guest_ids=("G1",), complaint="Cold food.", name="Ava Walsh")
        return {"token": make_token()}


def test_analyst_edits_a_rule_with_suggestions_and_checks(phone, live_server, floor, app):
    answer = requests.post(
        f"{live_server.url}/api/v1/events", json=arrival("G1"),
        headers={"Authorization": f"Bearer {floor['token']}"}, timeout=10,
    )  # fmt: skip
    assert answer.status_code == 202
    page = phone
    sign_in(page, live_server.url, "analyst@demo.test")
    page.goto(f"{live_server.url}/analyst/packs/host")
    page.get_by_text("Edit one rule").tap()
    page.locator(f'[data-edit-rule="{RULE}"]').tap()
    page.wait_for_url(re.compile(f"/rules/{RULE}$"))
    assert page.locator('[data-rule-check="ok"]').is_visible()
    assert page.locator('[data-example="pass"]').count() == 2

    condition = page.locator("#f-when")
    original = condition.input_value()
    condition.fill(original + " and guest.ti")
    condition.press("End")
    suggestions = page.locator(".fact-suggestions [role=option]")
    suggestions.first.wait_for()
    first = suggestions.first.inner_text()
    assert first.startswith("guest.tier") and "enum" in first
    screenshot(page, "rule-editor-suggestions")
    suggestions.first.dispatch_event("pointerdown")
    assert condition.input_value().endswith("and guest.tier")
    page.locator('[data-problem="when"]', has_text="not a condition").wait_for()
    assert page.locator("#problem-when pre").inner_text().splitlines()[1].strip().startswith("^")

    condition.fill(original.replace("<= 120", "<= 12O"))  # a letter O for a zero
    condition.press("End")
    page.locator('[data-problem="when"]', has_text="unknown suffix").wait_for()
    screenshot(page, "rule-editor-error")

    condition.fill(original.replace("<= 120", "<= 150"))
    condition.press("End")
    page.locator('[data-rule-check="ok"]').wait_for()
    assert page.locator("[data-problem]").count() == 0
    page.locator("#f-headline").fill("Recover first: {guest.name}")
    page.locator("#f-headline").press("End")
    page.locator('[data-rule-check="ok"]').wait_for()
    page.get_by_role("button", name="Preview the cards").tap()
    page.locator(".card-preview.this-rule").wait_for()
    assert "Recover first: Ava Walsh" in page.locator(".card-preview.this-rule").inner_text()
    screenshot(page, "rule-editor-preview")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("button", name="Save the rule in the draft").tap()
    page.wait_for_url(re.compile("/analyst/packs/host$"))
    assert "saved in the draft" in page.locator(".messages, [role=status]").first.inner_text()
    with app.app_context():
        draft = rulebook.check(rulebook.pack_for("host").draft, "host").pack
        rule = next(r for r in draft.rules if r.id == RULE)
    assert "<= 150" in rule.when and rule.card.headline.source == "Recover first: {guest.name}"
