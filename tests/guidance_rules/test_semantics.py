"""Each semantic rule of docs/rules.md, checked on the interpreter, the compiled matcher and the
batch evaluator at once (the property tests generate the same kinds of values at random)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal

import pytest

from guidance_rules import columns_from_rows, evaluate_batch, load_pack

NAN, INF = float("nan"), float("inf")


def pack_of(condition: str):
    return load_pack(
        "id: p\nversion: '1'\naudience: rep\nrules:\n  - id: r\n    title: R\n"
        f"    when: '{condition}'\n    card: {{headline: R, actions: [call_logged]}}\n"
    )


def fires(condition: str, **facts) -> bool:
    """Whether the rule fires, after checking that all three paths agree and count alike."""
    facts = {name.replace("__", "."): value for name, value in facts.items()}
    per_fact, batch = pack_of(condition), pack_of(condition)
    rule = per_fact.rules[0]
    from guidance_rules.engine import rule_fires

    reference = rule_fires(rule, facts)
    compiled = per_fact.match_ids(facts) == ["r"]
    names = sorted(facts)
    vectorised = evaluate_batch(batch, columns_from_rows([facts], names)).card_ids(0) == ["r"]
    assert reference == compiled == vectorised, (condition, facts, reference, compiled, vectorised)
    assert per_fact.fact_problems.counts() == batch.fact_problems.counts()
    return reference


def problems(condition: str, **facts) -> dict:
    pack = pack_of(condition)
    pack.match({name.replace("__", "."): value for name, value in facts.items()})
    return pack.fact_problems.counts()


@pytest.mark.parametrize(
    "condition",
    [
        'customer.tier != "key"',
        'customer.tier not in ["key", "large"]',
        'not (customer.tier == "key")',
        'customer.tier < "key"',
        'customer.tier == "small" or customer.tier != "small"',
    ],
)
def test_an_enum_value_outside_its_list_is_missing(condition):
    assert not fires(condition, customer__tier="platinum")
    assert problems(condition, customer__tier="platinum") == {
        ("customer.tier", "not a listed value"): 1
    }
    assert fires(f"({condition}) or customer.tier is missing", customer__tier="platinum")


def test_only_true_and_false_are_booleans():
    for odd in (1, 0, "true", "no"):
        assert not fires("guest.self_excluded == true", guest__self_excluded=odd)
        assert not fires("guest.self_excluded", guest__self_excluded=odd)
        assert not fires("not guest.self_excluded", guest__self_excluded=odd)
        assert not fires("guest.self_excluded != true", guest__self_excluded=odd)
        assert fires("guest.self_excluded is missing", guest__self_excluded=odd)
    assert fires("guest.self_excluded == true", guest__self_excluded=True)
    assert problems("guest.self_excluded", guest__self_excluded=1) == {
        ("guest.self_excluded", "wrong type"): 1
    }


@pytest.mark.parametrize("odd", [NAN, INF, -INF, Decimal("NaN")])
def test_nan_and_infinities_are_missing(odd):
    for condition in ("flight.remaining_kg > 1", "not (flight.remaining_kg > 1)"):
        assert not fires(condition, flight__remaining_kg=odd)
    assert fires("flight.remaining_kg is missing", flight__remaining_kg=odd)
    assert not fires("not (quote.total > $1)", quote__total=odd)
    assert problems("flight.remaining_kg > 1", flight__remaining_kg=odd) == {
        ("flight.remaining_kg", "not finite"): 1
    }


def test_ints_are_numbers_and_whole_floats_are_integers():
    assert fires("flight.remaining_kg > 1.5", flight__remaining_kg=2)
    assert fires("flight.load_factor >= 100%", flight__load_factor=1)
    assert fires("customer.days_since_last_booking == 3", customer__days_since_last_booking=3.0)
    assert not fires("customer.days_since_last_booking > 2", customer__days_since_last_booking=2.5)
    assert not fires("customer.days_since_last_booking > 2", customer__days_since_last_booking=True)
    assert fires("flight.remaining_kg > 1", flight__remaining_kg=Decimal("2.5"))


def test_money_is_exact_whether_it_arrives_as_a_float_text_or_decimal():
    for rate in (0.3, "0.30", Decimal("0.30"), "$0.30"):
        assert fires("quote.rate - price.floor == $0.10", quote__rate=rate, price__floor=0.2)
        assert fires("quote.rate >= $0.3", quote__rate=rate)
        assert not fires("quote.rate > $0.3", quote__rate=rate)
    assert fires("quote.total == $0.30000000000000004", quote__total=0.30000000000000004)
    assert not fires("quote.total == $0.3", quote__total=0.30000000000000004)
    assert fires("quote.rate < price.floor", quote__rate=0.1, price__floor=Decimal("0.11"))
    assert fires("quote.total between $100 and $200.5", quote__total="200.50")
    assert not fires("quote.total > $1", quote__total="lots")
    assert problems("quote.total > $1", quote__total="lots") == {
        ("quote.total", "not an amount"): 1
    }


def test_dates_datetimes_and_text_must_be_what_they_say():
    now = dt.datetime(2025, 3, 1, 12)
    assert not fires("days_since(guest.last_visit) > 3", guest__last_visit=now, now=now)
    assert not fires("days_since(guest.last_visit) > 3", guest__last_visit="2025-01-01", now=now)
    assert fires("days_since(guest.last_visit) > 3", guest__last_visit=dt.date(2025, 1, 1), now=now)
    assert not fires('lane.code == "HKG-FRA"', lane__code=b"HKG-FRA")


def test_importing_the_engine_does_not_load_numpy():
    code = (
        "import sys, guidance_rules\n"
        "assert 'numpy' not in sys.modules, 'numpy loaded'\n"
        "guidance_rules.evaluate\n"
        "assert 'numpy' not in sys.modules\n"
        "guidance_rules.evaluate_batch\n"
        "assert 'numpy' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
