"""The shared scoreboard in a browser: after a burst of arrivals and taps, the analyst's
per-rule funnels equal direct SQL counts, the dismissal reasons are charted, the suggested edit
opens as a draft, and the rule with a 20% holdout shows its uplift with an interval."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select, text

from frontline.extensions import db
from frontline.guidance import actions, rulebook
from frontline.guidance.packs import shelf
from frontline.scoreboard import uplift
from frontline.tables import CardAction, Event, Guest, HeldOutCard, IssuedCard, User, Visit, utcnow
from tests.browser.conftest import screenshot, sign_in
from tests.factories import arrival, make_floor, make_token, make_user
from tests.frontline.test_workbench import install_shipped_packs

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 800}
GUESTS = 200
RULE = "service-recovery"


def publish_holdout() -> None:
    """Version 2 of the host pack: service recovery holds out 20% of guests."""
    analyst = User.by_email("analyst@demo.test")
    pack = rulebook.pack_for("host")
    start = pack.draft.index(f"id: {RULE}")
    at = pack.draft.index("    cooldown: visit\n", start)
    edited = pack.draft[:at] + "    holdout: 0.2\n" + pack.draft[at:]
    rulebook.save_draft(pack, edited, analyst, 1)
    rulebook.publish(pack, analyst, "Measure what recovery cards change", 1)
    shelf().forget("host")


@pytest.fixture
def floor(app):
    with app.app_context():
        install_shipped_packs()
        make_user("analyst", email="analyst@demo.test", password="demo")
        ids = tuple(f"G{n:03d}" for n in range(GUESTS))
        _host, guests = make_floor(guest_ids=ids, complaint="Cold food.")
        for guest in guests[1::2]:  # half rated the visit badly without complaining
            db.session.scalars(
                select(Visit).where(Visit.guest_id == guest.id)
            ).one().complaint = None
        db.session.commit()
        publish_holdout()
        return {"token": make_token(), "ids": ids}


def arrive(url: str, token: str, ids: tuple[str, ...]) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    for guest in ids:
        answer = session.post(f"{url}/api/v1/events", json=arrival(guest), timeout=10)
        assert answer.status_code == 202, answer.text


def tap_and_return(app) -> None:
    """Hosts act on recovery cards for guests who complained and dismiss the others; some
    guests come back two days later (more of those who got the card)."""
    with app.app_context():
        host = User.by_email("maya@example.test")
        cards = db.session.scalars(select(IssuedCard).where(IssuedCard.rule_id == RULE)).all()
        for card in cards:
            if not card.status.is_open:
                continue
            if card.facts.get("guest.last_visit_complaint"):
                actions.tap(card, host, "on_my_way")
            else:
                actions.tap(card, host, "not_relevant", reason="not_appropriate")
        held = db.session.scalars(select(HeldOutCard.subject_id)).all()
        shown = [card.subject_id for card in cards]
        later = utcnow() + timedelta(days=2)
        for share, subjects in ((0.6, shown), (0.3, held)):
            for n, guest_id in enumerate(sorted(set(subjects))):
                if (n * 37 % 100) < share * 100:
                    db.session.add(Event(
                        external_id=f"return-{guest_id}", type="guest.arrived", source="card_in",
                        occurred_at=later, guest_id=guest_id, zone="main_floor", body_hash="0" * 64,
                    ))  # fmt: skip
        db.session.commit()
        uplift.measure(utcnow())


def wait_for_seen(app) -> int:
    """How many cards the inbox reported as shown on screen (within a few seconds)."""
    query = select(func.count()).where(CardAction.action == "seen")
    for _ in range(50):
        with app.app_context():
            seen = db.session.scalar(query)
        if seen:
            return seen
        time.sleep(0.1)
    return 0


DIRECT = text("""
SELECT c.rule_id, c.pack_version, COUNT(*),
  SUM(CASE WHEN EXISTS (SELECT 1 FROM card_actions a WHERE a.card_id = c.id
      AND a.action IN ('on_my_way', 'done', 'call_logged', 'offer_sent')) THEN 1 ELSE 0 END),
  SUM(CASE WHEN c.dismiss_reason IS NOT NULL THEN 1 ELSE 0 END)
FROM cards c GROUP BY c.rule_id, c.pack_version
""")


@pytest.mark.parametrize("viewport", [None, LAPTOP], ids=["phone", "laptop"])
def test_the_analyst_reads_the_scoreboard(browser, live_server, floor, app, viewport):
    url, size = live_server.url, "laptop" if viewport else "phone"
    arrive(url, floor["token"], floor["ids"])
    host = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = host.new_page()
    sign_in(phone, url, "maya@example.test", "pw-for-tests")
    phone.locator("a.alert").first.wait_for()
    assert wait_for_seen(app) >= 1  # the inbox showed cards on screen: counted as seen
    phone.locator("a.alert").first.click()  # a real tap on the host's phone
    phone.get_by_role("button", name="On my way").click()
    host.close()
    tap_and_return(app)

    context = browser.new_context(
        viewport=viewport or {"width": 390, "height": 844},
        device_scale_factor=2 if viewport is None else 1,
        is_mobile=viewport is None, has_touch=viewport is None,
    )  # fmt: skip
    page = context.new_page()
    sign_in(page, url, "analyst@demo.test")
    page.get_by_role("link", name="Scoreboard").click()
    page.locator("table.funnel").wait_for()
    with app.app_context():
        expected = {(r[0], r[1]): tuple(r[2:]) for r in db.session.execute(DIRECT)}
    shown = {}
    for row in page.locator("table.funnel tbody tr").all():
        key = (row.get_attribute("data-rule"), row.get_attribute("data-version"))
        cells = [
            int(row.locator(f"a[data-stage={stage}]").inner_text().replace(",", ""))
            for stage in ("issued", "acted", "dismissed")
        ]
        shown[key] = tuple(cells)
    assert shown == expected and shown[(RULE, "v2")][2] >= 10
    page.locator("table.funnel").scroll_into_view_if_needed()
    screenshot(page, f"scoreboard-funnel-{size}")

    reasons = page.locator("section.dismissals img.chart")
    reasons.scroll_into_view_if_needed()
    assert page.evaluate("(img) => img.naturalWidth", reasons.element_handle()) > 0
    assert "of dismissals had guest.last_visit_complaint == false" in page.inner_text(".pattern")
    screenshot(page, f"scoreboard-dismissals-{size}")

    experiment = page.locator(f"table.uplift tr[data-rule={RULE}]")
    experiment.scroll_into_view_if_needed()
    interval = experiment.locator(".interval").inner_text()
    assert " to " in interval and "pp" in interval, interval
    screenshot(page, f"scoreboard-uplift-{size}")
    width = (viewport or {"width": 390})["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.get_by_role("button", name="Open as a draft").click()
    page.locator("#pack-text").wait_for()
    assert "and guest.last_visit_complaint" in page.locator("#pack-text").input_value()
    page.locator("[data-check=ok]").wait_for(timeout=5000)
    screenshot(page, f"scoreboard-draft-{size}")
    with app.app_context():
        held = db.session.scalars(select(HeldOutCard.subject_id)).all()
        carded = db.session.scalars(
            select(IssuedCard.subject_id).where(IssuedCard.rule_id == RULE)
        ).all()
        assert held and not set(held) & set(carded)
        assert 0.1 < len(set(held)) / GUESTS < 0.3
        assert db.session.scalar(select(Guest.id).limit(1))
    context.close()
