"""Errors analysts can act on: named file, rule, line, column, a caret, and a suggestion."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest

from guidance_rules import (
    ExampleFailed,
    FactError,
    PackError,
    RuleError,
    RuleLimitError,
    RuleSyntaxError,
    RuleTypeError,
    UnknownFactError,
    evaluate,
    load_pack,
    validate_facts,
)

PACK = """\
id: test-pack
version: "1"
audience: host
rules:
  - id: dining-offer
    title: Dining offer
    when: {when}
    card:
      headline: "Hello {{guest.name}}"
      actions: [acknowledge]
"""


def pack_with(when: str) -> str:
    """The pack with a condition as a YAML block scalar, so any text reaches the rule parser."""
    return PACK.format(when="|-\n      " + when)


def pack_inline(when: str) -> str:
    return PACK.format(when=when)


def load_error(text: str, path=None) -> RuleError:
    if path is not None:
        path.write_text(text)
    with pytest.raises(RuleError) as caught:
        load_pack(path if path is not None else text)
    return caught.value


def test_unknown_fact_points_at_the_name_with_a_suggestion(tmp_path):
    path = tmp_path / "host.yaml"
    error = load_error(pack_inline('guest.teir in ["gold", "platinum"]'), path)
    assert isinstance(error, UnknownFactError)
    assert str(error) == (
        f'{path}, rule "dining-offer", line 7, column 11: '
        "unknown fact `guest.teir`: did you mean `guest.tier`?\n"
        '        when: guest.teir in ["gold", "platinum"]\n'
        "              ^^^^^^^^^^"
    )
    assert (error.where.line, error.where.column, error.where.width) == (7, 11, 10)


def test_type_errors_name_both_types():
    error = load_error(pack_inline('quote.total > "lots"'))
    assert isinstance(error, RuleTypeError)
    assert "cannot compare money with string" in str(error)
    assert error.where.rule == "dining-offer"
    assert error.where.text.strip() == 'when: quote.total > "lots"'
    assert str(error).endswith("^" * len('quote.total > "lots"'))


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (
            'guest.tier == "gld"',
            "`gld` is not a value of `guest.tier` (member, gold, platinum, "
            "diamond, black): did you mean `gold`?",
        ),
        ("quote.total + guest.name > 1", "cannot add money and string"),
        ("quote.total * quote.rate > 1", "cannot multiply money by money"),
        (
            "quote.rate > quote.total",
            "cannot compare money in USD/kg with money in USD; "
            "a USD/kg rate times a quantity in kg is a USD amount",
        ),
        ("quote.rate + quote.total > $1", "cannot add money in USD/kg and money in USD"),
        ("max(quote.total, price.floor) > $1", "`max()` cannot mix money in USD and money in"),
        ("quote.total / quote.chargeable_kg > quote.total", "money in USD/kg with money in USD"),
        ("quote.rate * flight.days_to_departure > quote.total", "money in USD/kg*d with money in"),
        ("quote.total * quote.chargeable_kg > quote.rate", "money in USD*kg with money in USD/kg"),
        ("quote.rate / quote.chargeable_kg > quote.total", "money in (USD/kg)/kg with money in"),
        ("flight.load_factor > 90", "write percents with %, e.g. `90%`"),
        ("guest.tier", "`guest.tier` is an enum, not a condition"),
        ("quote.total", "not a condition"),
        ('guest.name < "b"', "cannot order string values"),
        ("guest.last_visit < now", "cannot compare date with datetime"),
        ('"x" in guest.name', "`in` needs a list, not a string"),
        ("guest.tier between 1 and 2", "`between` works on numbers, money, dates and durations"),
        ("round(quote.total, 9) > 1", "digits are a whole number from 0 to 6"),
        ("days_since(guest.name) > 1", "`days_since()` takes date or datetime, not string"),
        ("min(quote.total) > 1", "`min()` takes 2 to 8 arguments, not 1"),
        ("foo(1) > 1", "`foo` is not allowed; the functions are abs, ceil"),
    ],
)
def test_type_error_messages(when, message):
    assert message in str(load_error(pack_with(when)))


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("guest.name == 'open", "this string is not closed"),
        ("(guest.visits_12m > 1", "expected `)` to close the `(`"),
        ("guest.visits_12m > 1)", "unexpected `)`"),
        ("1 < guest.visits_12m < 3", "comparisons can't be chained; use `between` or `and`"),
        ("guest.visits_12m = 3", "use `==` to compare"),
        ("guest.visits_12m > 3 &&  true", "use `and`"),
        ("guest.visits_12m > 1e9", "unknown suffix `e9`"),
        ("guest.visits_12m > 3 and", "the condition ends too early: expected a value"),
        ("guest.visits_12m % 2 == 0", "there is no remainder operator"),
        ("guest.visits_12m is nothing", "expected `missing` or `present` after `is`"),
        ("x not guest.visits_12m", "expected `in` or `between` after `not`"),
        ("None", "`None` is not part of the rule language; use `is missing`"),
        ("True", "write `true`"),
    ],
)
def test_syntax_error_messages(when, message):
    error = load_error(pack_with(when))
    assert isinstance(error, RuleSyntaxError)
    assert message in str(error)
    assert "^" in str(error)


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ('__import__("os").system("ls")', "names starting with `_` are not allowed"),
        ("guest.name.__class__", "names starting with `_` are not allowed"),
        ("().__class__", "names starting with `_` are not allowed"),
        ("() == 1", "empty parentheses"),
        ("lambda x: x", "`lambda` is not part of the rule language"),
        ("[x for x in guest.cuisines]", "comprehensions are not part of the rule language"),
        ("9**9**9 > 1", "there is no power operator `**`"),
        ("guest.visits_12m * 9 ** 9 > 1", "there is no power operator `**`"),
        ('eval("1") > 0', "`eval` is not allowed"),
        ('exec("import os")', "`exec` is not allowed"),
        ('getattr(guest, "name")', "`getattr` is not allowed"),
        ('open("/etc/passwd")', "`open` is not allowed"),
        ('guest.name.upper() == "X"', "method calls are not allowed"),
        ('"abc".upper() == "X"', "attribute access is not part of the rule language"),
        ("guest.cuisines[0] == 'x'", "indexing is not part of the rule language"),
        ("import os", "`import` is not part of the rule language"),
        ('"a" * 10000000 == "b"', "cannot multiply string by number"),
        ("guest.cuisines * 1000000000 > 1", "cannot multiply list by number"),
        ("(" * 30 + "guest.visits_12m > 1" + ")" * 30, "nests more than 24 levels deep"),
        ("(" * 100_000 + "1" + ")" * 100_000, "the condition is 200,001 characters long"),
        ('guest.name == "' + "a" * 1_000_000 + '"', "characters long; the limit is 2,000"),
        ('guest.name == "' + "a" * 1_500 + '"', "string literals are limited to 200 characters"),
        ("guest.visits_12m > " + "9" * 30, "number literals are limited to 24 characters"),
        ("guest.visits_12m in [" + ", ".join(["1"] * 300) + "]", "lists are limited to 200 items"),
        ("guest.visits_12m > " + " + ".join(["1"] * 60), "the condition is too large"),
        ("-" * 40 + "guest.visits_12m > 1", "nests more than 24 levels deep"),
        ("not " * 40 + "guest.self_excluded", "nests more than 24 levels deep"),
    ],
)
def test_abuse_is_refused_at_load_quickly_and_clearly(when, message):
    text = pack_with(when)
    started = time.perf_counter()
    error = load_error(text)
    assert time.perf_counter() - started < 0.5
    assert message in str(error), str(error)


def test_limits_are_refused_with_their_own_error_type():
    error = load_error(pack_with("(" * 30 + "guest.visits_12m > 1" + ")" * 30))
    assert isinstance(error, RuleLimitError)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (PACK.replace("when:", "whenn:"), "unknown key `whenn` in a rule: did you mean `when`?"),
        (PACK.replace("audience: host", "audience: guests"), "`guests` is not a valid audience"),
        (PACK.replace("[acknowledge]", "[offer_sent]"), "`offer_sent` is not a host action"),
        (PACK.replace("    when: {when}\n", ""), "a rule needs `when`"),
        (
            PACK.replace("rules:", "rulez:"),
            "unknown key `rulez` in the pack: did you mean `rules`?",
        ),
        (
            PACK.replace('"Hello {{guest.name}}"', '"{guest.nmae} is here"'),
            "unknown fact `guest.nmae`: did you mean `guest.name`?",
        ),
        (
            PACK.replace('"Hello {{guest.name}}"', '"{guest.name.upper()}"'),
            "placeholders are fact names in braces",
        ),
        (
            PACK.replace('"Hello {{guest.name}}"', '"' + "x" * 81 + '"'),
            "this text is about 81 characters as shown",
        ),
        (PACK.replace("version", "version: 2\nversion"), "`version` appears twice in the pack"),
        ("id: [unclosed\n", "not valid YAML"),
        ("", "the pack is empty"),
        ("- a\n- b\n", "the pack must be a mapping"),
    ],
)
def test_pack_structure_errors(text, message):
    error = load_error(text.replace("{when}", "guest.visits_12m > 1"))
    assert isinstance(error, PackError | UnknownFactError | RuleSyntaxError)
    assert message in str(error), str(error)


def test_yaml_tags_and_aliases_are_refused():
    tagged = pack_with("guest.visits_12m > 1").replace(
        'version: "1"', "version: !!python/object/apply:os.system ['true']"
    )
    assert "the YAML tag `tag:yaml.org,2002:python/object/apply:os.system` is not allowed" in str(
        load_error(tagged)
    )
    laughs = 'a: &a ["lol", "lol"]\nb: &b [*a, *a]\nc: &c [*b, *b]\nid: *c\n'
    assert "anchors and aliases are not allowed" in str(load_error(laughs))


def test_one_bad_rule_rejects_the_whole_pack_and_every_problem_is_listed():
    text = pack_with("guest.visits_12m > 1") + (
        "  - id: second\n    title: Second\n    when: guest.teir == 1\n"
        "    card: {headline: x, actions: [acknowledge]}\n"
        "  - id: third\n    title: Third\n    when: quote.total > 'x'\n"
        "    card: {headline: x, actions: [acknowledge]}\n"
        "  - id: dining-offer\n    title: Again\n    when: guest.visits_12m > 1\n"
        "    card: {headline: x, actions: [acknowledge]}\n"
    )
    error = load_error(text)
    messages = [str(e) for e in error.all]
    assert len(messages) == 3
    assert 'rule "second"' in messages[0] and "guest.teir" in messages[0]
    assert 'rule "third"' in messages[1] and "cannot compare money with string" in messages[1]
    assert "rule id `dining-offer` is already used on line 5" in messages[2]


def test_a_failing_example_rejects_the_pack():
    text = pack_with("guest.visits_12m > 1") + (
        "    examples:\n      - facts: {guest.visits_12m: 1}\n        fires: true\n"
    )
    error = load_error(text)
    assert isinstance(error, ExampleFailed)
    assert "expected the rule to fire, but it did not" in str(error)
    assert "`guest.visits_12m > 1` is false (guest.visits_12m = 1)" in str(error)
    assert load_pack(text, run_examples=False).rules[0].id == "dining-offer"


def test_example_facts_are_checked_against_the_vocabulary():
    text = pack_with("guest.visits_12m > 1") + (
        "    examples:\n      - facts: {guest.visits: 1}\n        fires: true\n"
    )
    assert "did you mean `guest.visits_12m`?" in str(load_error(text))
    text = text.replace("guest.visits: 1", "guest.last_visit: yesterday")
    assert "`yesterday` is not a valid date for `guest.last_visit`" in str(load_error(text))


def test_a_value_of_the_wrong_type_is_missing_and_counted():
    pack = load_pack(pack_with("quote.total > $100 and days_since(guest.last_visit) > 3"))
    facts = {"quote.total": "120", "guest.last_visit": dt.date(2025, 1, 1), "now": NOW}
    assert [c.rule_id for c in evaluate(pack, facts)] == ["dining-offer"]  # money as text is money
    assert pack.fact_problems.total() == 0
    facts = {"quote.total": Decimal(120), "guest.last_visit": "2025-01-01", "now": NOW}
    assert evaluate(pack, facts) == []
    assert pack.fact_problems.counts() == {("guest.last_visit", "wrong type"): 1}
    assert validate_facts(facts) == [
        "fact `guest.last_visit` should be a datetime.date, not str '2025-01-01'"
    ]
    evaluate(pack, {"quote.total": "lots", "now": NOW})
    assert pack.fact_problems.counts()[("quote.total", "not an amount")] == 1


NOW = dt.datetime(2025, 3, 1)


def test_every_error_is_a_rule_error():
    for cls in (
        RuleSyntaxError,
        RuleLimitError,
        RuleTypeError,
        UnknownFactError,
        PackError,
        ExampleFailed,
        FactError,
    ):
        assert issubclass(cls, RuleError)
