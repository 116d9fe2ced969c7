"""The condition language: every operator, precedence, missing facts, money, percents and dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

NOW = dt.datetime(2025, 3, 1, 19, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("flight.remaining_kg == 1200", True),
        ("flight.remaining_kg != 1200", False),
        ("flight.remaining_kg < 1200.5", True),
        ("flight.remaining_kg <= 1200", True),
        ("flight.remaining_kg > 1199", True),
        ("flight.remaining_kg >= 1201", False),
        ("flight.remaining_kg + 2 * 3 == 1206", True),
        ("(flight.remaining_kg + 2) * 3 == 3606", True),
        ("flight.remaining_kg - 200 - 100 == 900", True),
        ("flight.remaining_kg / 4 / 2 == 150", True),
        ("-flight.remaining_kg < 0", True),
        ("flight.remaining_kg between 1000 and 1200", True),
        ("flight.remaining_kg between 1201 and 1300", False),
        ("flight.remaining_kg not between 1201 and 1300", True),
        ("flight.remaining_kg in [1000, 1200]", True),
        ("flight.remaining_kg not in [1000, 1200]", False),
        ("flight.remaining_kg > 1k", True),
        ("flight.remaining_kg < 0.002M", True),
    ],
)
def test_numbers(text, expected, truth):
    assert truth(text, flight__remaining_kg=1200.0) is expected


def test_precedence_of_boolean_operators(truth):
    facts = {"guest__self_excluded": True, "guest__do_not_market": False, "event__hour": 5}
    # `and` binds tighter than `or`; `not` tighter than `and` but looser than comparisons.
    assert truth("guest.self_excluded or guest.do_not_market and event.hour > 10", **facts)
    assert not truth("(guest.self_excluded or guest.do_not_market) and event.hour > 10", **facts)
    assert truth("not event.hour > 10 and guest.self_excluded", **facts)
    assert not truth("not not guest.do_not_market", **facts)


def test_missing_facts_are_unknown_and_never_fire(truth):
    # Kleene logic: a comparison with a missing fact is unknown, and so is its negation.
    assert truth("flight.load_factor > 90%") is None
    assert truth("not (flight.load_factor > 90%)") is None
    assert truth("flight.load_factor != 90%") is None
    assert truth("flight.load_factor > 90% or true") is True
    assert truth("flight.load_factor > 90% and false") is False
    assert truth("flight.load_factor is missing") is True
    assert truth("flight.load_factor is present") is False
    assert truth("flight.load_factor is not missing", flight__load_factor=0.5) is True
    assert truth("guest.self_excluded") is None
    assert truth("not guest.self_excluded") is None
    assert truth('guest.tier in ["gold"]') is None
    assert truth('guest.tier not in ["gold"]') is None
    assert truth("coalesce(flight.load_factor, 50%) == 50%") is True


def test_division_by_zero_is_unknown(truth):
    assert (
        truth(
            "flight.remaining_kg / quote.weight_kg > 1",
            flight__remaining_kg=5.0,
            quote__weight_kg=0,
        )
        is None
    )


def test_money_compares_exactly(truth):
    rate = Decimal("2424.80")
    assert truth("quote.rate * 1.3 >= 3152.24", quote__rate=rate) is True
    assert truth("quote.rate * 1.3 == 3152.24", quote__rate=rate) is True
    assert truth("quote.rate * 1.3 > 3152.24", quote__rate=rate) is False
    assert (
        truth(
            "quote.rate >= price.floor", quote__rate=Decimal("2.35"), price__floor=Decimal("2.35")
        )
        is True
    )
    assert truth("quote.rate + $0.1 + $0.2 == $0.3 + quote.rate", quote__rate=Decimal(1)) is True
    assert truth("quote.total > $2M", quote__total=Decimal("2000000.00")) is False
    assert truth("quote.total > $2M", quote__total=Decimal("2000000.01")) is True
    # A float handed in as money joins as its shortest decimal spelling.
    assert truth("quote.rate * 1.3 >= 3152.24", quote__rate=2424.8) is True
    assert truth("quote.total / 3 * 3 == quote.total", quote__total=Decimal(10)) is False
    assert (
        truth(
            "price.recommended * (1 - competitor.undercut_pct) == $2.7",
            price__recommended=Decimal(3),
            competitor__undercut_pct=0.1,
        )
        is True
    )


def test_money_units_combine_like_units(truth):
    # USD/kg times kg is USD; USD by kg is USD/kg; a literal takes its partner's unit.
    facts = dict(
        quote__rate=Decimal("2.40"),
        quote__chargeable_kg=1000.0,
        quote__total=Decimal("2400.00"),
        price__floor=Decimal("2.35"),
    )
    assert truth("quote.rate * quote.chargeable_kg == quote.total", **facts) is True
    assert truth("quote.total / quote.chargeable_kg > price.floor", **facts) is True
    assert truth("max(quote.rate, $2.50) > price.floor * 105%", **facts) is True
    assert truth("quote.rate * (quote.chargeable_kg * 1) == quote.total", **facts) is True
    assert truth("quote.total / (quote.chargeable_kg / 2) > price.floor", **facts) is True


def test_percents_are_fractions_written_with_a_percent_sign(truth):
    assert truth("flight.load_factor >= 90%", flight__load_factor=0.9) is True
    assert truth("flight.load_factor < 87.5%", flight__load_factor=0.87) is True
    assert truth("customer.sow_trend < 0", customer__sow_trend=-0.05) is True
    assert truth("1 - flight.load_factor == 10%", flight__load_factor=0.9) is False  # float maths
    assert truth("flight.load_factor - 10% >= 80%", flight__load_factor=0.95) is True


def test_strings_enums_and_lists(truth):
    assert truth('lane.code == "HKG-FRA"', lane__code="HKG-FRA") is True
    assert truth('lane.code startswith "HKG"', lane__code="HKG-FRA") is True
    assert truth('lane.code endswith "FRA"', lane__code="HKG-FRA") is True
    assert truth('lane.code contains "G-F"', lane__code="HKG-FRA") is True
    assert truth('lower(lane.code) == "hkg-fra"', lane__code="HKG-FRA") is True
    assert truth('upper(quote.commodity) == "PHARMA"', quote__commodity="pharma") is True
    assert truth("len(lane.code) == 7", lane__code="HKG-FRA") is True
    assert truth('guest.tier >= "platinum"', guest__tier="diamond") is True
    assert truth('guest.tier >= "platinum"', guest__tier="gold") is False
    assert truth('"gold" < guest.tier', guest__tier="diamond") is True
    assert truth('guest.tier in ["gold", "black"]', guest__tier="black") is True
    assert truth('guest.cuisines contains "sushi"', guest__cuisines=["sushi"]) is True
    assert truth('"sushi" in guest.cuisines', guest__cuisines=["thai"]) is False
    assert truth('overlaps(guest.cuisines, ["thai", "sushi"])', guest__cuisines=["sushi"])
    assert truth("len(guest.cuisines) == 2", guest__cuisines=["a", "b"]) is True
    assert (
        truth(
            "guest.cuisines contains dining.featured_cuisine",
            guest__cuisines=["sushi"],
            dining__featured_cuisine="sushi",
        )
        is True
    )


def test_booleans(truth):
    assert truth("guest.self_excluded", guest__self_excluded=True) is True
    assert truth("not guest.self_excluded", guest__self_excluded=False) is True
    assert truth("guest.self_excluded == false", guest__self_excluded=False) is True
    assert truth("guest.self_excluded", guest__self_excluded=1) is None  # only real booleans


def test_dates_and_durations(truth):
    facts = {"now": NOW, "guest__last_visit": dt.date(2024, 12, 1)}
    assert truth("days_since(guest.last_visit) > 60", **facts) is True
    assert truth("days_since(guest.last_visit) == 90", **facts) is True
    assert truth("guest.last_visit < today() - 60d", **facts) is True
    assert truth('guest.last_visit >= date("2024-12-01")', **facts) is True
    assert truth("days_since(guest.last_visit) > 60") is None  # no `now`, no answer
    departure = dt.datetime(2025, 3, 2, 7, 0)
    facts = {"now": NOW, "flight__departure": departure}
    assert truth("hours_until(flight.departure) == 12", **facts) is True
    assert truth("hours_since(flight.departure) == -12", **facts) is True
    assert truth("days_until(flight.departure) == 1", **facts) is True
    assert truth("flight.departure - now == 12h", **facts) is True
    assert truth("flight.departure < now + 1d", **facts) is True
    assert truth("flight.departure - now between 30min and 1w", **facts) is True
    assert truth('flight.departure > datetime("2025-03-02T06:59")', **facts) is True
    assert truth("(flight.departure - now) / 1h == 12", **facts) is True


def test_whitelisted_functions(truth):
    facts = {
        "flight__load_factor": 0.7,
        "flight__volume_load_factor": 0.96,
        "flight__remaining_kg": -2.5,
        "quote__rate": Decimal("2.345"),
    }
    assert truth("max(flight.load_factor, flight.volume_load_factor) >= 95%", **facts) is True
    assert truth("min(flight.load_factor, flight.volume_load_factor) == 70%", **facts) is True
    assert truth("abs(flight.remaining_kg) == 2.5", **facts) is True
    assert truth("round(flight.remaining_kg) == -2", **facts) is True  # half to even
    assert truth("floor(flight.remaining_kg) == -3", **facts) is True
    assert truth("ceil(flight.remaining_kg) == -2", **facts) is True
    assert truth("round(quote.rate, 2) == $2.34", **facts) is True  # half to even, exactly
    assert truth("max(quote.rate, 3) == $3", **facts) is True
