"""Packs built from plain data: the same checks as YAML, errors that name rule, field and column,
and a round trip data -> pack -> YAML -> pack that behaves the same."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guidance_rules import (
    ExampleFailed,
    Pack,
    PackError,
    RuleSyntaxError,
    UnknownFactError,
    evaluate,
    load_pack,
    pack_from_data,
    pack_from_yaml,
)

PACKS = Path(__file__).resolve().parents[2] / "guidance_rules" / "packs"


def default_pack(name: str) -> Pack:
    return load_pack(PACKS / f"{name}.yaml")


@pytest.mark.parametrize("name", ["host", "rep"])
def test_packs_round_trip_through_data_and_yaml(name):
    pack = default_pack(name)
    data = pack.to_data()
    assert json.loads(json.dumps(data)) == data  # plain JSON-able data, as a database keeps it
    from_data = Pack.from_data(data)
    from_yaml = load_pack(from_data.to_yaml())
    assert from_yaml.to_data() == from_data.to_data() == data
    for example in pack.examples:  # same cards, same order
        expected = evaluate(pack, example.facts, example.history)
        assert evaluate(from_data, example.facts, example.history) == expected
        assert evaluate(from_yaml, example.facts, example.history) == expected


REP = {"id": "d", "version": 3, "audience": "rep", "hit_policy": "collect", "top": 2}


def rule(rule_id="big-quote", when="quote.total > $2M", **extra):
    return {
        "id": rule_id,
        "title": "Big quote",
        "when": when,
        "card": {"headline": "Quote {quote.total}", "actions": ["call_logged"]},
        **extra,
    }


money = st.one_of(
    st.none(),
    st.decimals(0, 5_000_000, places=2),
    st.floats(0, 5e6, allow_nan=False).map(lambda x: round(x, 2)),
    st.decimals(0, 5_000_000, places=2).map(str),
)


@settings(max_examples=60, deadline=None)
@given(total=money, rate=money, floor=money, tier=st.sampled_from([None, "key", "small", "vip"]))
def test_a_pack_from_data_behaves_as_its_yaml(total, rate, floor, tier):
    data = {
        **REP,
        "rules": [
            rule(),
            rule("under-floor", "quote.rate < price.floor", priority=70, cooldown="7d"),
            rule("key", 'customer.tier == "key" and quote.total >= $100k', suppress="offers"),
        ],
    }
    facts = {"quote.total": total, "quote.rate": rate, "price.floor": floor, "customer.tier": tier}
    facts |= {"customer.id": "C1", "now": dt.datetime(2025, 3, 1)}
    history = {"under-floor:C1": dt.datetime(2025, 2, 27)}
    from_data = pack_from_data(data)
    from_yaml = pack_from_yaml(from_data.to_yaml())
    assert evaluate(from_data, facts, history) == evaluate(from_yaml, facts, history)
    assert from_data.match_ids(facts) == from_yaml.match_ids(facts)


def error_from(data) -> Exception:
    with pytest.raises(Exception) as caught:
        pack_from_data(data)
    return caught.value


def test_errors_from_data_name_the_rule_the_field_and_the_column():
    error = error_from(
        {**REP, "rules": [rule(when="quote.total > $2M and customer.teir == 'key'")]}
    )
    assert isinstance(error, UnknownFactError)
    assert str(error).startswith(
        '<data>, rule "big-quote", field `when`, column 23: unknown fact `customer.teir`'
    )
    assert (error.where.rule, error.where.field, error.where.column) == ("big-quote", "when", 23)
    assert str(error).endswith(
        "quote.total > $2M and customer.teir == 'key'\n" + " " * 26 + "^" * 13
    )

    broken = rule()
    broken["card"]["details"] = ["fine", "Rate {quote.rat}"]
    error = error_from({**REP, "rules": [rule("a"), broken]})
    assert (error.where.rule, error.where.field, error.where.column) == (
        "big-quote",
        "card.details[1]",
        7,
    )
    error = error_from({**REP, "rules": [rule(priority=500)]})
    assert isinstance(error, PackError)
    assert str(error) == (
        '<data>, rule "big-quote", field `priority`: priority must be a whole number from 0 to 100'
    )
    error = error_from({**REP, "rules": [rule(when="quote.total >\n  $2M and (")]})
    assert isinstance(error, RuleSyntaxError)
    assert (error.where.field, error.where.line) == ("when", 2)
    error = error_from({**REP, "rules": [rule(colour="red")]})
    assert 'rule "big-quote", field `colour`: unknown key `colour` in a rule' in str(error)
    error = error_from({**REP, "rules": [rule(), rule()]})
    assert "rule id `big-quote` is already used by rule #1" in str(error)
    error = error_from({**REP, "rules": [{"title": "no id"}]})
    assert str(error).startswith('<data>, rule "#1": a rule needs `id`')


def test_example_values_from_data_must_fit_their_facts():
    example = {"facts": {"quote.total": Decimal("2500000.00")}, "fires": True}
    assert pack_from_data({**REP, "rules": [rule(examples=[example])]}).rules[0].examples
    as_text = {"facts": {"quote.total": "2,500,000"}, "fires": True}
    assert pack_from_data({**REP, "rules": [rule(examples=[as_text])]})
    wrong = {"facts": {"quote.total": [1]}, "fires": True}
    error = error_from({**REP, "rules": [rule(examples=[wrong])]})
    assert "field `examples[0].facts.quote.total`: `[1]` is not a valid money" in str(error)
    failing = {"facts": {"quote.total": 5}, "fires": True}
    error = error_from({**REP, "rules": [rule(examples=[failing])]})
    assert isinstance(error, ExampleFailed)
    assert 'rule "big-quote", field `examples[0]`' in str(error)
    quoted = {"facts": {"quote.total": 5}, "fires": "true"}  # a boolean is a boolean in data
    assert "fires must be true or false" in str(
        error_from({**REP, "rules": [rule(examples=[quoted])]})
    )


def test_data_is_not_changed_by_loading():
    data = {**REP, "rules": [rule(cooldown={"every": "1d", "per": "customer.id"})]}
    before = copy.deepcopy(data)
    pack_from_data(data)
    assert data == before


def test_yaml_text_is_never_taken_for_a_path():
    with pytest.raises(PackError, match="must be a mapping"):
        pack_from_yaml("host.yaml")
    with pytest.raises(PackError, match="cannot read the pack"):
        load_pack("missing-pack.yaml")


def test_match_gives_positions_and_match_ids_gives_rule_ids():
    pack = pack_from_data(
        {
            **REP,
            "rules": [rule("low", priority=10), rule("high", when="quote.total > $1", priority=90)],
        }
    )
    facts = {"quote.total": 3_000_000.0}
    assert pack.match(facts) == [1, 0]  # positions in the pack, best first
    assert pack.match_ids(facts) == ["high", "low"]
    assert pack.rule_ids == ("low", "high")
