"""The scoreboard page: the same numbers for analysts and leads, charts, a suggestion opened
as a draft."""

from __future__ import annotations

import html as html_text
import re

import pytest
from sqlalchemy import select

from frontline.extensions import db
from frontline.guidance import rulebook
from frontline.guidance.packs import DEFAULT_PACKS
from frontline.scoreboard import charts, funnel
from frontline.tables import utcnow
from tests.conftest import csrf_from
from tests.factories import make_guest, make_user


@pytest.fixture
def board_data(app):
    with app.app_context():
        for path in sorted(DEFAULT_PACKS.glob("*.yaml")):
            rulebook.import_pack(path.read_text(), None, "shipped", publish_it=True)
        hosts = [make_user("host") for _ in range(2)]
        make_user("host", email="lead@example.test", signs_off="host")
        for n in range(12):
            make_guest(hosts[n % 2])
        from frontline.demo import scoreboard

        scoreboard.fill(days=60, per_day=40, seed=5)


def test_the_page_shows_each_rule_with_numbers_that_click_through(app, client, auth, board_data):
    auth.login("analyst")
    page = client.get("/analyst/scoreboard?days=30")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    with app.app_context():
        rows = funnel.funnel(funnel.Filters(days=30), utcnow())
    for row in rows:
        cells = re.search(
            rf'<tr data-rule="{row.rule}" data-version="[^"]+">(.*?)</tr>', html, re.S
        )
        issued = re.search(r'data-stage="issued" href="([^"]+)">([\d,]+)<', cells.group(1))
        assert int(issued.group(2).replace(",", "")) == row.issued
    listed = client.get(issued.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert listed.count("data-card=") == min(rows[-1].issued, 200)
    assert "Scoreboard" in html and 'href="/analyst/scoreboard"' in html  # in the nav


@pytest.mark.parametrize("name", ["funnel", "reasons", "uplift"])
@pytest.mark.parametrize("days", [90, 365])
def test_charts_are_small_svg_with_a_title_and_a_description(client, auth, board_data, name, days):
    auth.login("analyst")
    answer = client.get(f"/analyst/scoreboard/charts/{name}.svg?days={days}")
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
    svg = answer.get_data(as_text=True)
    assert len(answer.data) <= charts.LIMIT
    assert "<title>" in svg and "<desc>" in svg and "<script" not in svg
    assert "script-src" not in answer.headers["Content-Security-Policy"]


def test_a_suggested_edit_opens_as_the_draft(app, client, auth, board_data):
    auth.login("analyst")
    with app.app_context():
        from frontline.tables import User

        for audience in ("host", "rep"):  # an edit under way, which the suggestion must keep
            pack = rulebook.pack_for(audience)
            edited = pack.draft.replace("title:", "title: Edited", 1)
            rulebook.save_draft(pack, edited, User.by_email("analyst@example.test"), 1)
    html = client.get("/analyst/scoreboard?days=90").get_data(as_text=True)
    assert "of dismissals had" in html
    action = re.search(
        r'<form method="post" action="(/analyst/scoreboard/suggestions/[^"]+)"', html
    )
    after = re.search(r'<code class="after">([^<]+)</code>', html).group(1)
    answer = client.post(
        action.group(1), data={"csrf_token": csrf_from(html), "days": "90"}, follow_redirects=True
    )
    assert answer.status_code == 200
    audience = action.group(1).split("/")[-2]
    assert answer.request.path == f"/analyst/packs/{audience}/draft"
    with app.app_context():
        draft = rulebook.pack_for(audience).draft
        assert rulebook.check(draft, audience).ok
        unescaped = html_text.unescape(after)
        assert (
            unescaped
            in rulebook.check(draft, audience).pack.rule(action.group(1).split("/")[-1]).when
        )
        assert draft.count("#") >= 1  # the pack's comments are kept
        assert "title: Edited" in draft  # and the edit under way


def test_the_sales_lead_sees_the_same_numbers(client, auth, board_data):
    auth.login("analyst")
    analyst = client.get("/analyst/scoreboard?days=30").get_data(as_text=True)
    auth.logout()
    auth.post_login("lead@example.test", "pw-for-tests")
    lead = client.get("/leads/scoreboard?days=30")
    assert lead.status_code == 200
    numbers = re.compile(r'data-total="(\w+)">([\d,]+)<')
    assert numbers.findall(lead.get_data(as_text=True)) == numbers.findall(analyst)
    assert "Open as a draft" not in lead.get_data(as_text=True)


def test_a_bad_filter_is_a_clear_400(client, auth, board_data):
    auth.login("analyst")
    answer = client.get("/analyst/scoreboard?days=11")
    assert answer.status_code == 400
    assert "days" in answer.get_data(as_text=True)


def test_a_host_sees_only_their_own_numbers(app, client, auth, board_data):
    auth.login("host", email="h9@example.test")
    with app.app_context():
        from frontline.tables import IssuedCard, User

        me = User.by_email("h9@example.test")
        mine = db.session.scalars(select(IssuedCard).order_by(IssuedCard.id).limit(7)).all()
        for card in mine:
            card.assignee_id = me.id
        db.session.commit()
        rows = funnel.funnel(funnel.Filters(audience="host", days=90, person=me.id), utcnow())
    html = client.get("/host/numbers?days=90").get_data(as_text=True)
    issued = int(re.search(r'data-total="issued">([\d,]+)<', html).group(1))
    host_cards = sum(row.issued for row in rows)
    assert issued == host_cards and 0 < host_cards <= 7
    assert client.get("/host/numbers?days=5").status_code == 400


def test_the_largest_charts_stay_under_the_limit():
    """A year of weeks, every reason, long names; many experiments: still <= 15 KB each."""
    from collections import Counter
    from decimal import Decimal

    from frontline.guidance.actions import REASONS
    from frontline.scoreboard import uplift

    reasons = Counter({reason: 1234 for reason in [*REASONS, "none"]})
    weeks = {f"2026-W{n:02d}": reasons for n in range(53)}
    assert len(charts.reasons_chart("a-rule-with-a-rather-long-name-1", weeks, REASONS)) <= 15_000
    arm = uplift.Arm(5000, 900, Decimal(0))
    many = [uplift.compare("host", f"rule-{n}-long-name", "v12", arm, arm) for n in range(30)]
    assert len(charts.uplift_chart(many)) <= 15_000
    rows = [
        funnel.Row("host", "p", f"rule-{n}-long-name", "v12", "t", *[9999] * 6, 1.0, Decimal(1))
        for n in range(30)
    ]
    assert len(charts.funnel_chart(rows)) <= 15_000
