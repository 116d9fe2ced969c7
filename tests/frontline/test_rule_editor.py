"""One rule edited as a form: each message lands on its field, the rule's examples run on every
change, saving rewrites only that rule in the draft's text, and bad input writes nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

import guidance_rules
from frontline.extensions import db
from frontline.guidance import evaluations, rule_editing, rulebook
from frontline.guidance.packs import DEFAULT_PACKS
from frontline.tables import PackChange
from guidance_rules.export import pack_data
from tests.conftest import csrf_from
from tests.factories import make_user
from tests.frontline.test_workbench import a_day_on_the_floor, install_shipped_packs

HOST = (DEFAULT_PACKS / "host.yaml").read_text()
RULE = "service-recovery"


def values(**changes) -> dict:
    return rule_editing.form_values(HOST, RULE) | changes


def plain(text: str) -> dict:
    """The pack as data, descriptions without the line break a folded YAML block ends with."""
    data = pack_data(guidance_rules.pack_from_yaml(text))
    for rule in data["rules"]:
        rule["description"] = rule.get("description", "").strip()
        rule["when"] = rule["when"].strip()
    return data


@pytest.mark.parametrize("name", ["host", "rep"])
def test_every_shipped_rule_survives_the_form_unchanged(name):
    """Form values -> rule -> text, for every rule: the pack reads back the same, and every
    line outside the rule (comments included) is kept."""
    text = (DEFAULT_PACKS / f"{name}.yaml").read_text()
    before = plain(text)
    for rule_id in rule_editing.rule_ids(text):
        verdict = rule_editing.check_rule(
            text, name, rule_id, rule_editing.form_values(text, rule_id)
        )
        assert verdict.ok, (rule_id, verdict.message)
        rewritten = rule_editing.rewrite(text, rule_id, verdict.data)
        assert plain(rewritten) == before, rule_id
        comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
        kept = [line for line in rewritten.splitlines() if line.lstrip().startswith("#")]
        assert set(kept) <= set(comments) and len(comments) - len(kept) <= 2, rule_id


def test_a_condition_error_lands_on_the_condition_with_a_caret_under_the_fact():
    verdict = rule_editing.check_rule(HOST, "host", RULE, values(when="guest.tierr == 'gold'"))
    assert not verdict.ok and verdict.where == "when"
    assert "did you mean `guest.tier`" in verdict.message
    assert verdict.excerpt == "guest.tierr == 'gold'\n^^^^^^^^^^^"
    far = values(when=values()["when"] + " and guest.tierr == 'gold'")
    source, caret = rule_editing.check_rule(HOST, "host", RULE, far).excerpt.splitlines()
    assert len(source) <= 37 and source.startswith("...") and "guest.tierr" in source
    assert source[caret.index("^") :].startswith("guest.tierr")  # the caret under the fact


@pytest.mark.parametrize(
    ("field", "typed", "where", "says"),
    [
        ("headline", "Hi {guest.nam}", "headline", "did you mean `guest.name`"),
        ("details", "fine\nbad {nope.fact}", "details", "unknown fact"),
        ("priority", "high", "priority", "whole number"),
        ("cooldown", "3 parsecs", "cooldown", "a cooldown is"),
        ("offer_max", "ten", "offer_max", ""),
        ("valid_from", "2026-13-01", "valid_from", ""),
        ("examples", "- facts: {guest.tier: gold\n", "examples", "line 2, column 1"),
    ],
)
def test_each_problem_is_reported_on_its_own_field(field, typed, where, says):
    verdict = rule_editing.check_rule(HOST, "host", RULE, values(**{field: typed}))
    assert not verdict.ok and verdict.where == where, (verdict.where, verdict.message)
    assert says in verdict.message


def test_examples_run_on_every_change_and_show_which_fail():
    passing = rule_editing.check_rule(HOST, "host", RULE, values())
    assert [e.passed for e in passing.examples] == [True, True]
    failing = values(examples="- name: gold only\n  facts: {guest.tier: gold}\n  fires: true")
    verdict = rule_editing.check_rule(HOST, "host", RULE, failing)
    assert not verdict.ok and verdict.where == "examples"
    assert [(e.name, e.passed) for e in verdict.examples] == [("gold only", False)]
    assert "expected the rule to fire, but it did not" in verdict.examples[0].message


@pytest.fixture
def analyst(app, client, auth):
    with app.app_context():
        install_shipped_packs()
        make_user("analyst", email="ana@example.test")
    auth.post_login("ana@example.test", "pw-for-tests")
    page = client.get(f"/analyst/packs/host/rules/{RULE}").get_data(as_text=True)
    return csrf_from(page)


def form(token: str, **changes) -> dict:
    data = values(**changes) | {"csrf_token": token, "base": 1}
    return data


def test_the_page_shows_the_rule_the_facts_and_the_examples(client, analyst):
    page = client.get(f"/analyst/packs/host/rules/{RULE}").get_data(as_text=True)
    assert 'name="when"' in page and "guest.last_visit_complaint" in page
    assert 'data-rule-check="ok"' in page and page.count('data-example="pass"') == 2
    vocabulary = re.search(r'<ul id="fact-vocabulary" hidden>(.*?)</ul>', page, re.S).group(1)
    assert (
        'data-name="guest.tier"' in vocabulary and 'data-source="model guest_value"' in vocabulary
    )
    assert client.get("/analyst/packs/host/rules/no-such-rule").status_code == 303


def test_live_check_puts_the_message_next_to_the_field(client, analyst):
    answer = client.post(
        f"/analyst/packs/host/rules/{RULE}/check",
        data=form(analyst, when="guest.tierr == 'gold'"),
        headers={"HX-Request": "true"},
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "<html" not in html
    assert re.search(r'id="problem-when"[^>]*hx-swap-oob="true"[^>]*data-problem="when"', html)
    assert "did you mean `guest.tier`" in html
    assert 'id="problem-headline" class="field-error" hx-swap-oob="true"></div>' in html  # cleared


def test_saving_rewrites_the_rule_in_the_draft_and_is_audited(app, client, analyst):
    new_condition = values()["when"].replace("<= 120", "<= 150")
    answer = client.post(
        f"/analyst/packs/host/rules/{RULE}", data=form(analyst, when=new_condition)
    )
    assert answer.status_code == 303
    with app.app_context():
        draft = rulebook.pack_for("host").draft
        rule = next(r for r in guidance_rules.pack_from_yaml(draft).rules if r.id == RULE)
        assert rule.when == new_condition
        assert draft.splitlines()[:2] == HOST.splitlines()[:2]  # the pack's comments stay
        assert db.session.scalar(select(PackChange.action).order_by(PackChange.id.desc())) == (
            "draft_saved"
        )


def test_a_rule_that_does_not_check_is_not_saved(app, client, analyst):
    with app.app_context():
        before = rulebook.pack_for("host").draft
    answer = client.post(f"/analyst/packs/host/rules/{RULE}", data=form(analyst, priority="high"))
    assert answer.status_code == 422 and "whole number" in answer.get_data(as_text=True)
    with app.app_context():
        assert rulebook.pack_for("host").draft == before


def test_two_analysts_editing_two_rules_keep_both_edits(app, client, analyst):
    """Saving a rule rewrites that rule in the draft as it is now, not as it was when the page
    opened: a colleague's edit of another rule meanwhile is kept."""
    other = "dining-offer"
    with app.app_context():
        found = rulebook.pack_for("host")
        colleague = rule_editing.check_rule(
            found.draft, "host", other,
            rule_editing.form_values(found.draft, other) | {"title": "Dinner, on us"},
        )  # fmt: skip
        text = rule_editing.rewrite(found.draft, other, colleague.data)
        rulebook.save_draft(found, text, make_user("analyst"), 1)
    client.post(f"/analyst/packs/host/rules/{RULE}", data=form(analyst, title="Recover first"))
    with app.app_context():
        titles = {r.id: r.title for r in guidance_rules.pack_from_yaml(
            rulebook.pack_for("host").draft).rules}  # fmt: skip
    assert titles[other] == "Dinner, on us" and titles[RULE] == "Recover first"


def test_preview_shows_the_cards_with_the_rule_as_typed(app, client, analyst):
    a_day_on_the_floor(app, client)
    with app.app_context():
        shown = next(row for row in evaluations.recent("host") if RULE in row.cards)
    answer = client.post(
        f"/analyst/packs/host/rules/{RULE}/preview",
        data=form(analyst, headline="Recover first: {guest.name}") | {"evaluation": shown.id},
        headers={"HX-Request": "true"},
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Recover first:" in html
    assert re.search(rf'class="panel card-preview this-rule" data-rule="{RULE}"', html)


def test_a_backtest_difference_opens_the_case_with_its_facts_and_why(app, client, analyst):
    """From the who-gets-what list to the logged case: every fact it was made on, and rule by
    rule why the version in force showed a card and the draft did not."""
    a_day_on_the_floor(app, client)
    quieter = values()["when"].replace("<= 120", "<= 150") + ' and guest.tier == "black"'
    quieter_examples = "- facts: {guest.tier: gold}\n  fires: false"
    client.post(
        f"/analyst/packs/host/rules/{RULE}",
        data=form(analyst, when=quieter, examples=quieter_examples),
    )
    html = client.get("/analyst/packs/host/backtest?days=1").get_data(as_text=True)
    link = re.search(r'href="(/analyst/packs/host/evaluations/(\d+))"', html)
    assert link, html
    page = client.get(link.group(1)).get_data(as_text=True)
    assert f'data-evaluation="{link.group(2)}"' in page and "guest.tier</code> =" in page
    in_force, draft = page.split('id="draft-title"')
    assert f'data-outcome="{RULE}" data-status="shown"' in in_force
    assert f'data-outcome="{RULE}" data-status="no match"' in draft
    assert "`guest.tier == &#34;black&#34;` is false" in draft
    assert client.get("/analyst/packs/rep/evaluations/" + link.group(2)).status_code == 404


def test_the_backtest_draws_cards_per_day_for_both_versions(app, client, analyst):
    a_day_on_the_floor(app, client)
    html = client.get("/analyst/packs/host/backtest?days=2").get_data(as_text=True)
    chart_url = re.search(r'<img class="chart" src="([^"]+)"', html).group(1)
    answer = client.get(chart_url.replace("&amp;", "&"))
    svg = answer.get_data(as_text=True)
    assert answer.mimetype == "image/svg+xml" and len(answer.data) <= 15_000
    with app.app_context():
        shown = sum(len(row.cards) for row in evaluations.recent("host", limit=1000))
    assert f"the version in force shows {shown:,} cards" in svg and "<script" not in svg
