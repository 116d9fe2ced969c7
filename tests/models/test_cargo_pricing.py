import numpy as np
import pandas as pd
import pytest

from models import (
    CapacityError,
    InsufficientDataError,
    InvalidInputError,
    ModelError,
    UnknownLaneError,
    cargo_pricing,
    displacement,
    registry,
)


def test_win_model_beats_lane_rate_and_is_calibrated(cargo_model):
    metrics = cargo_model.card.metrics
    model, base = metrics["win"], metrics["win_baseline_lane_rate"]
    assert model["brier"] < base["brier"] and model["auc"] > base["auc"] + 0.1
    gaps = [abs(r["predicted"] - r["observed"]) for r in model["calibration"]]
    assert max(gaps) < 0.08


def test_missing_competitor_rate_is_flagged_not_zero(cargo_model, cargo):
    _, quotes = cargo
    features = cargo_model.pipeline.named_steps["quote"].transform(quotes.head(200))
    missing = quotes.head(200)["competitor_best_rate"].isna().to_numpy()
    assert (features["comp_missing"].to_numpy() == missing).all()
    assert np.isfinite(cargo_model.pipeline.predict_proba(quotes.head(200))).all()


def test_higher_rate_lowers_win_probability(cargo_model, cargo):
    _, quotes = cargo
    a, b = cargo_pricing.price_response(cargo_model.pipeline, quotes.head(50))
    assert (b < 0).all()
    direct = cargo_pricing.win_probability(cargo_model, quotes.head(50))
    rate = quotes.head(50)["rate_per_kg"].to_numpy()
    np.testing.assert_allclose(direct, 1 / (1 + np.exp(-(a + b * np.log(rate)))), rtol=1e-9)


def test_model_that_rewards_higher_rates_is_refused(cargo, cargo_bookings):
    flights, quotes = cargo
    upside_down = quotes.assign(won=quotes["rate_per_kg"] > quotes["rate_per_kg"].median())
    with pytest.raises(ModelError, match="higher rate"):
        cargo_pricing.train(upside_down, flights, cargo_bookings)


def test_displacement_rises_as_flight_fills(cargo_model, cargo):
    flights, _ = cargo
    flight = flights.tail(1).assign(departure=pd.Timestamp("2027-01-10 22:00"))
    fuller = pd.concat([flight.assign(booked_kg=b) for b in (0.2, 0.6, 0.8, 0.9, 0.99)])
    fuller = fuller.assign(booked_kg=fuller["booked_kg"] * fuller["capacity_kg"], booked_m3=0.0)
    fuller["flight_id"] = [f"F{i}" for i in range(len(fuller))]
    costs = displacement.score(cargo_model, fuller, as_of="2027-01-05")[displacement.FACT]
    assert list(costs) == sorted(costs) and costs.iloc[-1] > costs.iloc[0]


def test_zero_capacity_is_refused_by_flight(cargo_model, cargo):
    flights, _ = cargo
    empty = flights.head(2).assign(capacity_kg=[0.0, 5000.0])
    with pytest.raises(CapacityError, match=str(empty["flight_id"].iloc[0])):
        displacement.score(cargo_model, empty, as_of="2026-01-01")


def test_too_few_quotes_is_refused(cargo, cargo_bookings):
    flights, quotes = cargo
    with pytest.raises(InsufficientDataError, match="too little data"):
        cargo_pricing.train(quotes.head(50), flights, cargo_bookings)


def test_unknown_lane_names_lane_and_known_ones(cargo_model, cargo):
    _, quotes = cargo
    with pytest.raises(UnknownLaneError, match=r"LHR-XXX.*known lanes: HKG-FRA"):
        cargo_pricing.win_probability(cargo_model, quotes.head(3).assign(lane="LHR-XXX"))


def test_negative_weight_is_refused(cargo_model, cargo):
    _, quotes = cargo
    with pytest.raises(InvalidInputError, match="not negative"):
        cargo_pricing.win_probability(cargo_model, quotes.head(3).assign(weight_kg=-5.0))


def test_saved_model_keeps_its_booking_curve(cargo_model, cargo, tmp_path):
    flights, _ = cargo
    registry.save(cargo_model, tmp_path)
    loaded = registry.load(tmp_path, "cargo_pricing")
    before = displacement.score(cargo_model, flights.tail(20), as_of="2026-10-25")
    after = displacement.score(loaded, flights.tail(20), as_of="2026-10-25")
    pd.testing.assert_frame_equal(before, after)
