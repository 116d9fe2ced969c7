from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import (
    InvalidInputError,
    UnknownLaneError,
    cargo_pricing,
    displacement,
    price_guidance,
    synthetic,
)

CENT = Decimal("0.01")


def _request(**changes):
    base = {
        "customer_tier": "standard",
        "share_of_wallet": 0.3,
        "lane": "HKG-FRA",
        "weight_kg": 800.0,
        "volume_m3": 3.0,
        "days_to_departure": 5.0,
        "load_factor": 0.7,
        "competitor_best_rate": 4.20,
        "transit_diff_hours": 0.0,
        "displacement_cost": 0.40,
    }
    return base | changes


def test_floor_recommended_stretch_are_ordered_exact_cents(cargo_model):
    guide = price_guidance.recommend(cargo_model, _request())
    assert guide.floor <= guide.recommended <= guide.stretch
    assert guide.win_prob_floor >= guide.win_prob >= guide.win_prob_stretch
    for amount in (guide.floor, guide.recommended, guide.stretch, guide.expected_contribution):
        assert isinstance(amount, Decimal) and amount == amount.quantize(CENT)
    assert guide.floor >= Decimal("0.45")  # displacement + minimum margin
    assert set(guide.facts()) == set(price_guidance.FACTS)
    assert "the flight is 70% full and leaves in 5 days" in guide.reason


def test_nearly_full_flight_raises_the_recommended_rate(cargo_model, cargo):
    flights, _ = cargo
    flight = flights.tail(1).assign(departure=pd.Timestamp("2027-01-10 22:00"), booked_m3=0.0)
    loads = {"open": 0.3, "nearly_full": 0.97}
    costs = {
        name: displacement.score(
            cargo_model, flight.assign(booked_kg=flight["capacity_kg"] * share), as_of="2027-01-05"
        )[displacement.FACT].iloc[0]
        for name, share in loads.items()
    }
    guides = {
        name: price_guidance.recommend(
            cargo_model, _request(displacement_cost=costs[name], load_factor=loads[name])
        )
        for name in loads
    }
    assert costs["nearly_full"] > costs["open"]
    assert guides["nearly_full"].recommended > guides["open"].recommended
    assert guides["nearly_full"].floor > guides["open"].floor


def test_much_cheaper_competitor_lowers_win_probability(cargo_model):
    usual = price_guidance.recommend(cargo_model, _request(competitor_best_rate=4.20))
    cheap = price_guidance.recommend(cargo_model, _request(competitor_best_rate=2.50))
    assert cheap.win_prob < usual.win_prob
    assert cheap.recommended <= usual.recommended


def test_missing_competitor_rate_is_allowed(cargo_model):
    guide = price_guidance.recommend(cargo_model, _request(competitor_best_rate=None))
    assert guide.floor <= guide.recommended <= guide.stretch


def test_money_as_decimal_gives_the_same_guidance(cargo_model):
    floats = price_guidance.recommend(cargo_model, _request())
    decimals = price_guidance.recommend(
        cargo_model,
        _request(competitor_best_rate=Decimal("4.20"), displacement_cost=Decimal("0.40")),
    )
    assert floats == decimals


def test_batch_matches_single_quotes(cargo_model, cargo):
    _, quotes = cargo
    requests = synthetic.quote_requests(quotes.head(20), displacement_cost=0.3)
    batch = price_guidance.recommend_batch(cargo_model, requests)
    assert list(batch.columns[:6]) == list(price_guidance.FACTS)
    single = price_guidance.recommend(cargo_model, requests.iloc[7].to_dict())
    assert single.facts() == batch.iloc[7][list(price_guidance.FACTS)].to_dict()


def test_floor_is_cost_plus_displacement_plus_margin(cargo_model):
    policy = price_guidance.PricingPolicy(lane_costs={"HKG-FRA": Decimal("0.55")})
    guide = price_guidance.recommend(cargo_model, _request(displacement_cost=0.40), policy)
    assert guide.floor == Decimal("1.00") and guide.cost_per_kg == Decimal("0.55")
    other = price_guidance.recommend(cargo_model, _request(lane="PVG-LAX"), policy)
    assert other.floor == Decimal("0.45")  # no cost configured for the lane: the default, 0


def test_costly_lane_is_priced_higher(cargo_model):
    cheap = price_guidance.recommend(cargo_model, _request())
    costly = price_guidance.recommend(cargo_model, _request(cost_per_kg=1.50))
    assert costly.recommended > cheap.recommended
    assert costly.win_prob < cheap.win_prob


def test_a_full_flight_prices_above_the_market_and_says_why(cargo_model):
    guide = price_guidance.recommend(cargo_model, _request(displacement_cost=5.00))
    assert guide.floor == Decimal("5.05") < guide.recommended
    assert "above the market (best competitor $4.20)" in guide.reason
    assert "displacement $5.00/kg" in guide.reason


def test_stretch_is_the_highest_rate_a_rep_still_wins_half_the_time(cargo_model):
    guide = price_guidance.recommend(cargo_model, _request(displacement_cost=0.0))
    assert guide.win_prob_stretch >= 0.5
    above = price_guidance.recommend(
        cargo_model, _request(displacement_cost=0.0, competitor_best_rate=4.20)
    )
    a, b = cargo_pricing.price_response(cargo_model.pipeline, pd.DataFrame([_request()]))
    one_cent_more = float(above.stretch) + 0.01
    assert 1 / (1 + np.exp(-(a[0] + b[0] * np.log(one_cent_more)))) < 0.5


def test_reason_places_the_rate_against_the_market(cargo_model):
    guide = price_guidance.recommend(cargo_model, _request())
    assert "best competitor $4.20" in guide.reason
    missing = price_guidance.recommend(cargo_model, _request(competitor_best_rate=None))
    assert "lane market" in missing.reason


def test_unknown_lane_is_named(cargo_model):
    with pytest.raises(UnknownLaneError, match="XXX-YYY"):
        price_guidance.recommend(cargo_model, _request(lane="XXX-YYY"))


def test_negative_weight_is_refused(cargo_model):
    with pytest.raises(InvalidInputError, match="not negative"):
        price_guidance.recommend(cargo_model, _request(weight_kg=-1.0))


def test_missing_request_field_is_named(cargo_model):
    request = _request()
    del request["displacement_cost"]
    with pytest.raises(InvalidInputError, match="displacement_cost"):
        price_guidance.recommend(cargo_model, request)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cost=st.decimals(min_value="0", max_value="6", places=2),
    comp=st.one_of(st.none(), st.decimals(min_value="1", max_value="9", places=2)),
    kg=st.floats(min_value=1, max_value=20_000),
    load=st.floats(min_value=0, max_value=1),
)
def test_guidance_is_sane_for_any_quote(cargo_model, cost, comp, kg, load):
    guide = price_guidance.recommend(
        cargo_model,
        _request(displacement_cost=cost, competitor_best_rate=comp, weight_kg=kg, load_factor=load),
    )
    assert cost + Decimal("0.05") <= guide.floor <= guide.recommended <= guide.stretch
    assert guide.expected_contribution >= 0
    # Far above the market (a cost 4x the competitor) a win chance rounds to 0: never below.
    assert 0 <= guide.win_prob_stretch <= guide.win_prob <= guide.win_prob_floor <= 1
