"""Property tests: the compiled evaluator and the batch evaluator agree with the reference.

Random well-typed conditions are generated as text over a slice of the vocabulary, then run on
random facts (any of which may be missing, and some of which do not fit their type: unlisted enum
values, 1 for a boolean, NaN and infinities, floats for integers, money as floats and text) by
the tree-walking reference interpreter, by the compiled per-fact function (both "certainly true"
and "certainly false"), and by the columnar batch evaluator. All three must agree, and count the
same values as problems. Example counts are bounded to keep the run short.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guidance_rules import (
    FactProblems,
    columns_from_rows,
    evaluate,
    evaluate_batch,
    interpreter,
    load_pack,
)
from guidance_rules.batch import prepare
from guidance_rules.checker import check
from guidance_rules.compiler import compile_matcher, to_decimal
from guidance_rules.engine import rule_fires
from guidance_rules.syntax import parse
from guidance_rules.values import clean
from guidance_rules.vocabulary import load_vocabulary

NUMBERS = ["flight.remaining_kg", "flight.days_to_departure"]
INTEGERS = ["guest.visits_12m", "event.hour"]
PERCENTS = ["flight.load_factor", "price.win_prob"]
# One unit (USD/kg): the checker refuses to mix a rate with a total (see test_errors).
MONEY = ["quote.rate", "price.floor", "competitor.best_rate"]
TIERS = ["member", "gold", "platinum", "diamond", "black"]
LANES = ["HKG-FRA", "PVG-AMS", "SIN-LHR"]
CUISINES = ["sushi", "thai", "steak"]
OPS = ["==", "!=", "<", "<=", ">", ">="]

number_literal = st.one_of(
    st.integers(-50, 50).map(str), st.decimals(-100, 100, places=2).map(lambda d: f"{d:.2f}")
)
money_literal = st.decimals(-1000, 1000, places=2).map(
    lambda d: f"-${-d:.2f}" if d < 0 else f"${d:.2f}"
)
percent_literal = st.integers(-20, 150).map(lambda p: f"{p}%")


def binary(inner, ops):
    return st.tuples(inner, st.sampled_from(ops), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})")


def call(name, *parts):
    return st.tuples(*parts).map(lambda args: f"{name}({', '.join(args)})")


def numbers(depth: int):
    leaves = st.one_of(st.sampled_from(NUMBERS + INTEGERS), number_literal)
    if depth == 0:
        return leaves
    inner = numbers(depth - 1)
    return st.one_of(
        leaves,
        binary(inner, ["+", "-", "*", "/"]),
        call("min", inner, inner),
        call("max", inner, inner),
        call("abs", inner),
        call("round", inner),
        call("floor", inner),
        call("coalesce", st.sampled_from(NUMBERS), inner),
        st.just("days_since(guest.last_visit)"),
        st.just("hours_until(flight.departure)"),
        inner.map(lambda x: f"-{x}"),
    )


def money(depth: int):
    leaves = st.one_of(st.sampled_from(MONEY), money_literal)
    if depth == 0:
        return leaves
    inner = money(depth - 1)
    scalar = st.one_of(number_literal, percent_literal, st.sampled_from(INTEGERS + PERCENTS))
    return st.one_of(
        leaves,
        binary(inner, ["+", "-"]),
        st.tuples(inner, scalar).map(lambda t: f"({t[0]} * {t[1]})"),
        st.tuples(inner, st.sampled_from(["2", "4", "0.5"])).map(lambda t: f"({t[0]} / {t[1]})"),
        call("max", inner, inner),
        call("abs", inner),
        call("round", inner, st.sampled_from(["0", "2"])),
    )


def percents(depth: int):
    leaves = st.one_of(st.sampled_from(PERCENTS), percent_literal)
    if depth == 0:
        return leaves
    inner = percents(depth - 1)
    return st.one_of(leaves, binary(inner, ["+", "-"]), call("max", inner, inner))


def comparison(values):
    return st.tuples(values, st.sampled_from(OPS), values).map(lambda t: f"{t[0]} {t[1]} {t[2]}")


tests = st.one_of(
    comparison(numbers(2)),
    comparison(money(2)),
    comparison(percents(1)),
    st.tuples(numbers(1), numbers(0), numbers(0)).map(
        lambda t: f"{t[0]} between {t[1]} and {t[2]}"
    ),
    st.tuples(st.sampled_from(OPS), st.sampled_from(TIERS)).map(
        lambda t: f'guest.tier {t[0]} "{t[1]}"'
    ),
    st.lists(st.sampled_from(TIERS), max_size=3).map(
        lambda v: f"guest.tier in {v}".replace("'", '"')
    ),
    st.lists(st.integers(0, 30), max_size=3).map(lambda v: f"guest.visits_12m not in {v}"),
    st.sampled_from(LANES).map(lambda lane: f'lane.code == "{lane}"'),
    st.sampled_from(["HKG", "FRA", "-"]).map(lambda s: f'lane.code contains "{s}"'),
    st.sampled_from(["HKG", "SIN"]).map(lambda s: f'lane.code startswith "{s}"'),
    st.sampled_from(CUISINES).map(lambda c: f'guest.cuisines contains "{c}"'),
    st.just("guest.cuisines contains dining.featured_cuisine"),
    st.just("not (dining.featured_cuisine in guest.cuisines)"),
    st.just('overlaps(guest.cuisines, ["sushi", "thai"])'),
    st.sampled_from(["guest.self_excluded", "guest.do_not_market", "guest.self_excluded == false"]),
    st.sampled_from(NUMBERS + MONEY + ["guest.tier", "flight.departure"]).map(
        lambda f: f"{f} is missing"
    ),
    st.just("days_since(guest.last_visit) > 30"),
    st.just("guest.last_visit <= today() - 1w"),
    st.just("flight.departure - now between 30min and 2d"),
    st.just('flight.departure >= datetime("2025-03-01T12:00")'),
)


def conditions(depth: int):
    if depth == 0:
        return tests
    inner = conditions(depth - 1)
    return st.one_of(
        tests,
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        inner.map(lambda c: f"not ({c})"),
    )


def maybe(values):
    return st.one_of(st.none(), values)


def sometimes(clean, *odd):
    """Mostly well-typed values, sometimes values that do not fit the fact (which every path
    must treat as missing and count): the values integrations really send."""
    return st.one_of(clean, clean, clean, st.sampled_from(odd) if odd else clean)


NAN, INF = float("nan"), float("inf")
day = st.dates(dt.date(2024, 1, 1), dt.date(2025, 12, 31))
moment = st.datetimes(dt.datetime(2024, 1, 1), dt.datetime(2025, 12, 31))
number = st.one_of(
    st.integers(-1000, 1000), st.floats(-1e4, 1e4, allow_nan=False).map(lambda x: round(x, 3))
)
money_value = st.one_of(
    st.decimals(-(10**6), 10**6, places=2),
    st.integers(-1000, 1000),
    st.floats(-1e4, 1e4, allow_nan=False).map(lambda x: round(x, 2)),  # floats, as sent
    st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False),  # any float, exactly
    st.decimals(-1000, 1000, places=2).map(str),  # text, as sent
    st.sampled_from([0.1, 0.2, 0.30000000000000004, 2.5, 1.3, 0.25, 1000.0]),  # on thresholds
)
ODD_NUMBERS = (NAN, INF, -INF, True, "12", Decimal("2.5"), Decimal("NaN"))
ODD_INTEGERS = (3.0, 2.5, NAN, False, "7", Decimal(4))
ODD_MONEY = (NAN, -INF, Decimal("NaN"), Decimal("Infinity"), "lots", "$1,200.50", True, [1])
facts_strategy = st.fixed_dictionaries(
    {
        **{name: maybe(sometimes(number, *ODD_NUMBERS)) for name in NUMBERS},
        **{name: maybe(sometimes(st.integers(-1000, 1000), *ODD_INTEGERS)) for name in INTEGERS},
        **{
            name: maybe(sometimes(st.floats(-1, 2).map(lambda x: round(x, 4)), 1, 0, NAN, INF))
            for name in PERCENTS
        },
        **{name: maybe(sometimes(money_value, *ODD_MONEY)) for name in MONEY},
        "guest.tier": maybe(sometimes(st.sampled_from(TIERS), "bronze", "Gold", 3)),
        "lane.code": maybe(sometimes(st.sampled_from(LANES), 7, b"HKG")),
        "guest.cuisines": maybe(
            sometimes(st.lists(st.sampled_from(CUISINES), max_size=3), "sushi", [1])
        ),
        "dining.featured_cuisine": maybe(sometimes(st.sampled_from(CUISINES), 4)),
        "guest.self_excluded": maybe(sometimes(st.booleans(), 1, 0, "true")),
        "guest.do_not_market": maybe(sometimes(st.booleans(), 1, "no")),
        "guest.last_visit": maybe(sometimes(day, dt.datetime(2025, 1, 1, 12), "2025-01-01")),
        "flight.departure": maybe(sometimes(moment, dt.date(2025, 1, 1))),
        "now": maybe(sometimes(moment, "2025-03-01T12:00", dt.date(2025, 3, 1))),
    }
)


def expected_problems(names, rows):
    """The problems every path must count: each read fact whose value does not fit."""
    vocabulary = load_vocabulary()
    counts = Counter()
    for row in rows:
        for name in names:
            fact = vocabulary[name]
            _, why = clean(fact.type, fact.values, row.get(name))
            if why:
                counts[(name, why)] += 1
    return dict(counts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(condition=conditions(2), facts=st.lists(facts_strategy, min_size=1, max_size=4))
def test_compiled_evaluator_agrees_with_the_reference_interpreter(condition, facts):
    vocabulary = load_vocabulary()
    tree, names = check(parse(condition), vocabulary)
    negation, _ = check(parse(f"not ({condition})"), vocabulary)
    problems = FactProblems()
    certainly_true = compile_matcher([(0, tree, None)], first_only=False, problems=problems)
    certainly_false = compile_matcher([(0, negation, None)], first_only=False)
    for row in facts:
        expected = interpreter.condition(tree, row)
        assert bool(certainly_true(row)) == (expected is True), (condition, row)
        assert bool(certainly_false(row)) == (expected is False), (condition, row)
    assert problems.counts() == expected_problems(names, facts)


def pack_text(rules: list[str], policy: str, top: int) -> str:
    """A pack of the conditions with offers, cooldowns and hard stops sprinkled over them."""
    lines = ["id: p", 'version: "1"', "audience: host", f"hit_policy: {policy}", f"top: {top}"]
    lines.append("rules:")
    for i, condition in enumerate(rules):
        offer = ", offer: {type: dining, description: Dinner}" if i % 2 == 0 else ""
        lines += [
            f"  - id: r{i}",
            f"    title: R{i}",
            f"    priority: {(i * 37) % 5}",
            "    when: >-",
            f"      {condition}",
            f"    card: {{headline: 'R{i} {{quote.rate}}', actions: [acknowledge]{offer}}}",
        ]
        if i % 3 == 1:
            lines.append("    cooldown: 1d")
        if i % 4 == 3:
            lines.append("    suppress: offers")
    return "\n".join(lines) + "\n"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rules=st.lists(conditions(1), min_size=1, max_size=5),
    rows=st.lists(facts_strategy, min_size=1, max_size=12),
    policy=st.sampled_from(["first", "collect"]),
    top=st.integers(1, 3),
    cooled=st.lists(st.booleans(), min_size=12, max_size=12),
)
def test_batch_evaluator_agrees_with_per_fact_evaluation(rules, rows, policy, top, cooled):
    pack = load_pack(pack_text(rules, policy, top))
    batch_pack = load_pack(pack_text(rules, policy, top))
    for row in rows:
        row["guest.id"] = "G"
    history = [
        {f"r{i}:G": dt.datetime(2025, 1, 1) - dt.timedelta(hours=3) for i in range(len(rules))}
        if cool
        else None
        for row, cool in zip(rows, cooled, strict=False)
    ]
    names = sorted({name for row in rows for name in row})
    result = evaluate_batch(batch_pack, columns_from_rows(rows, names), history)
    from_rows = evaluate_batch(load_pack(pack_text(rules, policy, top)), rows, history)
    for i, row in enumerate(rows):
        assert result.cards(i) == evaluate(pack, row, history[i]), (rules, row)
        assert from_rows.cards(i) == result.cards(i)
    read = {name for rule in pack.rules for name in rule.facts}
    assert pack.fact_problems.counts() == expected_problems(sorted(read), rows)
    assert batch_pack.fact_problems.counts() == pack.fact_problems.counts()
    for row in rows:  # the interpreter, as `explain` uses it, fires the same rules
        fired = [pack.rules[k].id for k in pack.order if rule_fires(pack.rules[k], row)]
        assert pack.match_ids(row) == fired


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.one_of(
            st.floats(-1e9, 1e9, allow_nan=False),
            st.floats(-1e4, 1e4, allow_nan=False).map(lambda x: round(x, 2)),
            st.decimals(-(10**6), 10**6, places=3),
            st.integers(-(10**6), 10**6),
            st.none(),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_batch_money_columns_hold_each_float_as_its_shortest_decimal(values):
    column = prepare("money", values, len(values), "quote.total")
    for i, value in enumerate(values):
        expected = None if value is None else to_decimal(value)
        assert column.python(i) == expected, (value, column.python(i))


rate_like = st.one_of(
    st.decimals(0, 10, places=2).map(float),
    st.decimals(-5, 5, places=3).map(float),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from([0.1, 0.2, 0.3, 0.25, 2.35, 2.1, 1e300, -1e300, 5e-324, 0.0, -0.0]),
)


@settings(max_examples=300, deadline=None)
@given(
    a=rate_like,
    b=rate_like,
    c=rate_like,
    k=st.sampled_from(["1.3", "0.95", "3", "0.1", "-2"]),
    limit=st.sampled_from(["$0.25", "$0.10", "$0", "-$0.3", "$2.45"]),
    op=st.sampled_from(OPS),
)
def test_float_money_arithmetic_is_decided_exactly(a, b, c, k, limit, op):
    """Money arithmetic on floats is filtered in floats; every answer must be the exact one."""
    condition = f"quote.rate * {k} - price.floor + competitor.best_rate {op} {limit}"
    tree, _ = check(parse(condition), load_vocabulary())
    match = compile_matcher([(0, tree, None)], first_only=False)
    facts = {"quote.rate": a, "price.floor": b, "competitor.best_rate": c}
    assert bool(match(facts)) == (interpreter.condition(tree, facts) is True), (condition, facts)


LITERALS = [
    "$0.10",
    "$2.35",
    "$2M",
    "$0.3",
    "-$1.1",
    "$0.100000000000000005551",
    "$2.0000000000000001",
]


@st.composite
def near_literals(draw):
    """A money literal and a float on it, next to it, or anywhere."""
    literal = draw(st.sampled_from(LITERALS))
    nearest = float(Decimal(literal.replace("$", "").replace("M", "e6")))
    x = draw(
        st.one_of(
            st.just(nearest),
            st.sampled_from(
                [math.nextafter(nearest, math.inf), math.nextafter(nearest, -math.inf)]
            ),
            st.floats(-1e7, 1e7, allow_nan=False),
        )
    )
    return literal, x


@settings(max_examples=300, deadline=None)
@given(case=near_literals(), op=st.sampled_from(OPS), flipped=st.booleans())
def test_float_money_against_a_literal_is_decided_exactly(case, op, flipped):
    """A float money fact against a literal, on and next to it: every answer is the exact one,
    also for literals with more digits than their float keeps."""
    literal, x = case
    condition = f"{literal} {op} quote.rate" if flipped else f"quote.rate {op} {literal}"
    tree, _ = check(parse(condition), load_vocabulary())
    match = compile_matcher([(0, tree, None)], first_only=False)
    facts = {"quote.rate": x}
    assert bool(match(facts)) == (interpreter.condition(tree, facts) is True), (condition, facts)
