"""Packs and evaluation: default packs, ordering, hit policies, hard stops, cooldowns, cards."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import guidance_rules
from guidance_rules import Card, check_examples, evaluate, explain, load_pack, render_card_text

PACKS = Path(guidance_rules.__file__).parent / "packs"
NOW = dt.datetime(2025, 3, 1, 19, 0)


def pack_of(rules: str, policy: str = "collect", top: int = 3, audience: str = "host"):
    return load_pack(
        f'id: t\nversion: "7"\naudience: {audience}\nhit_policy: {policy}\ntop: {top}\n'
        f"rules:\n{rules}"
    )


def rule(rule_id: str, when: str, priority: int = 50, extra: str = "") -> str:
    return (
        f"  - id: {rule_id}\n    title: {rule_id}\n    priority: {priority}\n"
        f"    when: '{when}'\n"
        f"    card: {{headline: 'Card {rule_id}', actions: [acknowledge]}}\n{extra}"
    )


@pytest.mark.parametrize("name", ["host", "rep"])
def test_default_packs_load_and_their_examples_pass(name):
    pack = load_pack(PACKS / f"{name}.yaml")
    assert pack.audience == name
    assert all(rule.examples for rule in pack.rules), "every rule carries examples"
    assert check_examples(pack) >= 2 * len(pack.rules)


def test_rep_pack_covers_the_pushed_outlook_situations():
    ids = {rule.id for rule in load_pack(PACKS / "rep.yaml").rules}
    assert {
        "soft-departure",
        "competitor-undercut",
        "key-account-protection",
        "overdue-booking",
        "escalate-large-deal",
        "hold-the-floor",
        "last-minute-fill",
    } <= ids


def test_cards_are_ordered_by_priority_then_position_and_cut_to_top():
    pack = pack_of(
        rule("a", "guest.visits_12m > 0", 10)
        + rule("b", "guest.visits_12m > 0", 90)
        + rule("c", "guest.visits_12m > 0", 50)
        + rule("d", "guest.visits_12m > 0", 50),
        top=3,
    )
    assert [c.rule_id for c in evaluate(pack, {"guest.visits_12m": 1})] == ["b", "c", "d"]
    first = pack_of(
        rule("a", "guest.visits_12m > 0", 10) + rule("b", "guest.visits_12m > 5", 90),
        policy="first",
    )
    assert [c.rule_id for c in evaluate(first, {"guest.visits_12m": 9})] == ["b"]
    assert [c.rule_id for c in evaluate(first, {"guest.visits_12m": 1})] == ["a"]
    assert evaluate(first, {}) == []


def test_a_card_says_why_it_exists():
    pack = load_pack(PACKS / "rep.yaml")
    facts = {
        "quote.total": Decimal("2424000.00"),
        "customer.name": "Acme",
        "quote.rate": Decimal("2.1"),
        "quote.chargeable_kg": 1154286.0,
        "price.floor": Decimal("2.35"),
    }
    card = evaluate(pack, facts)[0]
    assert card == Card(
        rule_id="escalate-large-deal",
        rule_title="Involve the brand manager above $2M",
        pack_id="rep-guidance",
        pack_version="2025.1",
        audience="rep",
        priority=100,
        headline="Quote of $2,424,000.00: involve the brand manager",
        details=["Acme, 1,154,286 kg at $2.10/kg"],
        actions=["request_approval", "call_logged", "not_relevant"],
        offer=None,
        facts_read={"quote.total": Decimal("2424000.00")},
    )
    text = render_card_text(card)
    assert "(rep-guidance 2025.1 / escalate-large-deal)" in text


def test_placeholders_are_formatted_by_type_and_unit():
    pack = pack_of(
        "  - id: f\n    title: f\n    when: guest.visits_12m > 0\n    card:\n"
        "      headline: '{guest.adt} {guest.tier_progress} {guest.last_visit} {guest.cuisines}'\n"
        "      details: ['{flight.remaining_kg} {flight.days_to_departure} {guest.self_excluded}',"
        " '{price.floor} {now}', 'gone: {guest.name}']\n"
        "      actions: [acknowledge]\n"
    )
    facts = {
        "guest.visits_12m": 3,
        "guest.adt": Decimal("1234.5"),
        "guest.tier_progress": 0.875,
        "guest.last_visit": dt.date(2025, 2, 3),
        "guest.cuisines": ["thai", "sushi"],
        "flight.remaining_kg": 1200.0,
        "flight.days_to_departure": 2.5,
        "guest.self_excluded": False,
        "price.floor": Decimal("2.345"),
        "now": NOW,
    }
    card = evaluate(pack, facts)[0]
    assert card.headline == "$1,234.50 87.5% Feb 3, 2025 thai, sushi"
    # A detail line whose facts are missing is left out rather than shown with gaps.
    assert card.details == ["1,200 kg 2.5 days no", "$2.345/kg Mar 1, 19:00"]
    assert card.facts_read == {"guest.visits_12m": 3}


def test_card_text_is_plain_text_never_template_code():
    pack = pack_of(
        "  - id: t\n    title: t\n    when: guest.visits_12m > 0\n"
        "    card: {headline: 'Hi {guest.name} {{x}}', actions: [acknowledge]}\n"
    )
    hostile = "<script>alert(1)</script>{guest.id}\n{{7*7}}"
    card = evaluate(pack, {"guest.visits_12m": 1, "guest.name": hostile, "guest.id": "G"})[0]
    # Placeholders are filled once, values are not re-read as templates; control characters go.
    assert card.headline == "Hi <script>alert(1)</script>{guest.id} {{7*7}} {x}"


def test_compliance_hard_stops_suppress_offers():
    pack = load_pack(PACKS / "host.yaml")
    base = {
        "now": NOW,
        "event.type": "guest.arrived",
        "event.hour": 19,
        "guest.tier": "diamond",
        "guest.last_visit": dt.date(2024, 11, 20),
        "guest.cuisines": ["sushi"],
        "dining.featured_cuisine": "sushi",
        "guest.propensity.dining": 0.6,
        "guest.self_excluded": False,
        "guest.do_not_market": False,
    }
    assert any(card.offer for card in evaluate(pack, base))
    for stop in (
        {"guest.self_excluded": True},
        {"guest.do_not_market": True},
        {"guest.do_not_market": None},
    ):
        cards = evaluate(pack, {**base, **stop})
        assert cards and not any(card.offer for card in cards)
    assert [c.rule_id for c in evaluate(pack, {**base, "guest.self_excluded": True})] == [
        "compliance-self-excluded"
    ]


host_values = st.fixed_dictionaries(
    {},
    optional={
        "now": st.just(NOW),
        "visit.started": st.just(NOW - dt.timedelta(hours=2)),
        "guest.id": st.sampled_from(["G1", "G2"]),
        "guest.name": st.text(max_size=20),
        "guest.tier": st.sampled_from(["member", "gold", "platinum", "diamond", "black"]),
        "guest.next_tier": st.sampled_from(["gold", "platinum", "diamond", "black"]),
        "guest.tier_progress": st.floats(0, 1),
        "guest.cuisines": st.lists(st.sampled_from(["sushi", "thai", "steak"]), max_size=3),
        "guest.self_excluded": st.booleans(),
        "guest.do_not_market": st.booleans(),
        "guest.last_visit": st.dates(dt.date(2024, 1, 1), dt.date(2025, 3, 1)),
        "guest.last_visit_rating": st.integers(1, 5),
        "guest.last_visit_complaint": st.booleans(),
        "guest.value_90d": st.decimals(0, 20000, places=2),
        "guest.adt_trend": st.floats(-1, 1),
        "guest.return_prob_90d": st.floats(0, 1),
        "guest.propensity.dining": st.floats(0, 1),
        "dining.featured_cuisine": st.sampled_from(["sushi", "thai"]),
        "event.type": st.sampled_from(["guest.arrived", "guest.moved"]),
        "event.hour": st.integers(0, 23),
    },
)


@settings(max_examples=300, deadline=None)
@given(facts=host_values, stop=st.sampled_from(["guest.self_excluded", "guest.do_not_market"]))
def test_a_self_excluded_or_do_not_market_guest_never_receives_an_offer(facts, stop):
    pack = load_pack(PACKS / "host.yaml")
    facts[stop] = True
    assert not any(card.offer for card in evaluate(pack, facts))
    facts.pop(stop)  # unknown status: also no offers
    assert not any(card.offer for card in evaluate(pack, facts)) or (
        facts.get("guest.self_excluded") is False and facts.get("guest.do_not_market") is False
    )


def test_cooldowns_use_history_purely():
    cool = "    cooldown: {cool}\n"
    pack = pack_of(
        rule("v", "guest.visits_12m > 0", 90, cool.format(cool="visit"))
        + rule("d", "guest.visits_12m > 0", 80, cool.format(cool="12h"))
        + rule("o", "guest.visits_12m > 0", 70, cool.format(cool="once"))
        + rule("n", "guest.visits_12m > 0", 60),
        top=10,
    )
    facts = {
        "guest.visits_12m": 1,
        "guest.id": "G1",
        "now": NOW,
        "visit.started": NOW - dt.timedelta(hours=3),
    }
    cards = evaluate(pack, facts)
    assert [c.cooldown_key for c in cards] == ["v:G1", "d:G1", "o:G1", None]
    assert [c.cooldown for c in cards] == ["visit", "12h", "once", None]
    earlier = NOW - dt.timedelta(hours=2)
    history = {"v:G1": earlier, "d:G1": earlier, "o:G1": earlier - dt.timedelta(days=300)}
    assert [c.rule_id for c in evaluate(pack, facts, history)] == ["n"]
    last_visit = NOW - dt.timedelta(hours=13)
    history = {"v:G1": last_visit, "d:G1": last_visit}
    assert [c.rule_id for c in evaluate(pack, facts, history)] == ["v", "d", "o", "n"]
    # Another guest's history does not cool this one down.
    assert len(evaluate(pack, facts, {"v:G2": earlier})) == 4
    # Without `now` a duration cooldown cannot be checked, so it holds the card back.
    no_now = {k: v for k, v in facts.items() if k != "now"}
    assert "d" not in [c.rule_id for c in evaluate(pack, no_now, {"d:G1": earlier})]


def test_validity_windows_need_now_inside_them():
    pack = pack_of(
        rule(
            "w", "guest.visits_12m > 0", extra="    valid: {from: 2025-03-01, until: 2025-03-31}\n"
        )
    )
    assert evaluate(pack, {"guest.visits_12m": 1, "now": NOW})
    assert not evaluate(pack, {"guest.visits_12m": 1, "now": NOW - dt.timedelta(days=1)})
    assert not evaluate(pack, {"guest.visits_12m": 1, "now": dt.datetime(2025, 4, 1)})
    assert not evaluate(pack, {"guest.visits_12m": 1})
    outcome = explain(pack, {"guest.visits_12m": 1, "now": dt.datetime(2025, 4, 1)}).outcomes[0]
    assert outcome.status == "outside its validity window"


def test_evaluate_is_pure_and_deterministic():
    pack = load_pack(PACKS / "host.yaml")
    facts = {
        "now": NOW,
        "event.type": "guest.arrived",
        "guest.tier": "black",
        "guest.last_visit": dt.date(2024, 1, 1),
        "guest.self_excluded": False,
        "guest.do_not_market": False,
        "guest.value_90d": Decimal(9000),
    }
    snapshot = dict(facts)
    first = evaluate(pack, facts)
    assert evaluate(pack, facts) == first
    assert facts == snapshot


def test_explain_names_the_failing_clause():
    pack = load_pack(PACKS / "rep.yaml")
    facts = {
        "quote.total": Decimal("150000"),
        "quote.rate": Decimal("2.50"),
        "price.floor": Decimal("2.35"),
        "customer.tier": "key",
        "customer.sow_trend": -0.02,
        "customer.share_of_wallet": 0.55,
    }
    report = guidance_rules.explanation_text(explain(pack, facts))
    assert (
        "- escalate-large-deal: no match\n    `quote.total > $2M` is false "
        "(quote.total = $150,000.00)" in report
    )
    assert "`customer.sow_trend <= -5%` is false (customer.sow_trend = -2%)" in report
    assert "`customer.share_of_wallet < 30%` is false (customer.share_of_wallet = 55%)" in report
    assert (
        "`flight.days_to_departure <= 2` is unknown (missing: flight.days_to_departure)" in report
    )
    facts["quote.rate"] = Decimal("2.00")
    report = guidance_rules.explanation_text(explain(pack, facts))
    assert (
        "+ hold-the-floor: shown\n    because quote.rate = $2.00/kg, price.floor = $2.35/kg"
        in report
    )
