"""The models against the truth the demo world was built from, on fresh worlds (docs/models.md).

Each world comes from the demo generator (`frontline.demo.frames`), small enough to build and
train in a few seconds; the generator knows every quote's true market and win probability,
every shipper's true share of wallet, every flight's true demand and every offer's true take-up.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from frontline.demo import cargo as demo_cargo
from frontline.demo import frames as world
from models import cargo_pricing, displacement, price_guidance, propensity

SEEDS = (1, 2, 3)
TIER_EFFECT = np.array([0.6, 0.35, 0.0, -0.2])  # the generator's, by CUSTOMER_TIERS


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def trained_world(request):
    w = world.cargo_world(request.param, shippers=150, quotes=10_000, past_days=45, future_days=20)
    return w, cargo_pricing.train(w.quotes, w.flights, w.bookings)


def _true_slope(quotes: pd.DataFrame) -> float:
    """d log-odds / d log(rate) of the generator's response, -9 x rate / market, on average."""
    return float((-9.0 * quotes["rate_per_kg"] / quotes["true_market"]).mean())


def _true_p(requests: pd.DataFrame, rate: np.ndarray) -> np.ndarray:
    """The generator's win probability of each request (rows) at each rate (columns)."""
    tier = requests["customer_tier"].map(demo_cargo.CUSTOMER_TIERS.index).to_numpy()
    market = requests["true_market"].to_numpy()[:, None]
    logit = 0.9 - 9.0 * (rate / market - 1.0)
    logit = logit - 0.05 * requests["transit_diff_hours"].to_numpy()[:, None]
    logit = logit + (TIER_EFFECT[tier] + 1.2 * (requests["true_share"].to_numpy() - 0.3))[:, None]
    return 1 / (1 + np.exp(-logit))


def test_generator_formula_is_the_one_the_tests_use():
    p = _true_p(
        pd.DataFrame(
            {
                "customer_tier": ["large"],
                "true_market": [2.0],
                "transit_diff_hours": [3.0],
                "true_share": [0.4],
            }
        ),
        np.array([[2.1]]),
    )
    assert p[0, 0] == pytest.approx(demo_cargo.win_probability(2.1, 2.0, 3.0, 1, 0.4))


@pytest.mark.parametrize("seen", [True, False], ids=["competitor_seen", "competitor_missing"])
def test_price_slope_within_15_percent_of_truth(trained_world, seen):
    w, model = trained_world
    rows = w.quotes[w.quotes["competitor_best_rate"].notna() == seen]
    _, slope = cargo_pricing.price_response(model.pipeline, rows)
    assert np.mean(slope) == pytest.approx(_true_slope(rows), rel=0.15)


@pytest.mark.parametrize("seen", [True, False], ids=["competitor_seen", "competitor_missing"])
def test_calibrated_against_the_true_win_probability_by_decile(trained_world, seen):
    w, model = trained_world
    rows = w.quotes[w.quotes["competitor_best_rate"].notna() == seen]
    p = cargo_pricing.win_probability(model, rows)
    bins = pd.qcut(p, 10 if seen else 5, labels=False, duplicates="drop")
    table = pd.DataFrame({"p": p, "truth": rows["true_p_win"].to_numpy(), "bin": bins})
    means = table.groupby("bin")[["p", "truth"]].mean()
    assert (means["p"] - means["truth"]).abs().max() <= 0.05, means


def test_transit_difference_has_the_truths_sign(trained_world):
    """Bug 1: ours minus the competitor's hours; slower (positive) must lose quotes."""
    _, model = trained_world
    _, weights, _ = cargo_pricing.linear_form(model.pipeline)
    transit = dict(zip(cargo_pricing.NUMERIC, weights, strict=True))["transit_diff"]
    assert transit == pytest.approx(-0.05, abs=0.02)


def test_share_of_wallet_spans_its_range_and_has_the_truths_sign(trained_world):
    """Bug 3: share follows size, so it is not saturated and the model finds +1.2's sign."""
    w, model = trained_world
    share = w.quotes["share_of_wallet"]
    assert (share >= 1.0).mean() < 0.05 and share.quantile(0.9) - share.quantile(0.1) > 0.25
    assert np.corrcoef(share, w.quotes["true_share"])[0, 1] > 0.5
    _, weights, _ = cargo_pricing.linear_form(model.pipeline)
    assert dict(zip(cargo_pricing.NUMERIC, weights, strict=True))["share_of_wallet"] > 0


def test_displacement_rises_with_load_and_ranks_the_flights_that_sell_out(trained_world):
    """Bug 2: more booked means more displacement, on the demo world's own future flights."""
    w, model = trained_world
    future = w.flights[w.flights["departure"] > w.now]
    scored = displacement.score(model, future, as_of=w.now)
    load = (future["booked_kg"] / future["capacity_kg"]).to_numpy()
    cost = scored[displacement.FACT].astype(float).to_numpy()
    assert np.corrcoef(cost, load)[0, 1] > 0
    sells_out = future["true_demand_kg"] >= 0.97 * future["capacity_kg"]
    assert roc_auc_score(sells_out, scored["p_demand_exceeds"]) > 0.6
    one = future.head(1).assign(departure=w.now + pd.Timedelta(days=5), booked_m3=0.0)
    fuller = pd.concat([one.assign(booked_kg=s * one["capacity_kg"]) for s in (0.2, 0.5, 0.8, 0.9)])
    fuller["flight_id"] = range(len(fuller))
    rising = displacement.score(model, fuller, as_of=w.now)[displacement.FACT].to_numpy()
    assert list(rising) == sorted(rising) and rising[-1] > rising[0]


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def demo_sized_world(request):
    """The demo's own size (90 days of departed flights, 6,000 quotes): there, as in the
    app, most of a flight's load is other shippers' bookings, not won quotes."""
    w = world.cargo_world(request.param)
    return w, cargo_pricing.train(w.quotes, w.flights, w.bookings)


def test_sell_out_probability_matches_the_generators_by_days_out_and_load(demo_sized_world):
    """Bug 2, against the truth: the model's P(sell out) for every future flight is compared
    with the generator's own (`frames.sell_out_truth`), cell by cell of days to departure x
    load factor. Displacement that ran backwards (far, empty flights dear; near, fuller ones
    free) fails here even where it still rises with load at one fixed distance."""
    w, model = demo_sized_world
    future = w.flights[w.flights["departure"] > w.now].reset_index(drop=True)
    days = ((future["departure"] - w.now).dt.total_seconds() / 86400).to_numpy()
    load = (future["booked_kg"] / future["capacity_kg"]).to_numpy()
    model_p = displacement.score(model, future, as_of=w.now)["p_demand_exceeds"].to_numpy()
    truth = world.sell_out_truth(future["lane"], days, load)
    sold_out = future["true_final_kg"] >= 0.97 * future["capacity_kg"]
    assert abs(truth.mean() - sold_out.mean()) <= 0.05  # the truth's P is itself right
    assert np.corrcoef(model_p, truth)[0, 1] >= 0.8
    cells = pd.DataFrame(
        {
            "days": pd.cut(days, [0, 3, 7, 14, 31]),
            "load": pd.cut(load, [0, 0.4, 0.6, 0.8, 1.01], right=False),
            "model": model_p,
            "truth": truth,
        }
    ).groupby(["days", "load"], observed=True)
    table = cells.agg(n=("model", "size"), model=("model", "mean"), truth=("truth", "mean"))
    big = table[table["n"] >= 20]
    assert (big["model"] - big["truth"]).abs().max() <= 0.10, table
    for _, by_load in table[table["n"] >= 5].groupby(level=0, observed=True):
        assert (np.diff(by_load["model"].to_numpy()) >= -0.02).all(), table


def test_guidance_earns_99_percent_of_the_truth_optimal_contribution(trained_world):
    w, model = trained_world
    requests = w.quotes.sample(300, random_state=0).reset_index(drop=True)
    capacity = w.flights.set_index("flight_id").loc[requests["flight_id"], "capacity_kg"]
    flights = pd.DataFrame(
        {
            "flight_id": range(len(requests)),
            "lane": requests["lane"],
            "departure": w.now + pd.to_timedelta(requests["days_to_departure"], unit="D"),
            "capacity_kg": capacity.to_numpy(),
            "booked_kg": requests["load_factor"] * capacity.to_numpy(),
            "capacity_m3": capacity.to_numpy() / 160,
            "booked_m3": 0.0,
        }
    )
    scored = displacement.score(model, flights, as_of=w.now)
    requests["displacement_cost"] = scored[displacement.FACT].astype(float).to_numpy()
    requests["cost_per_kg"] = requests["lane"].map(demo_cargo.LANE_COSTS)
    guide = price_guidance.recommend_batch(model, requests)
    unit = (requests["displacement_cost"] + requests["cost_per_kg"]).to_numpy()
    grid = np.arange(1, 1500)[None, :] / 100
    best = (_true_p(requests, grid) * (grid - unit[:, None])).max(axis=1)
    rate = guide["price.recommended"].astype(float).to_numpy()
    earned = _true_p(requests, rate[:, None])[:, 0] * (rate - unit)
    assert earned.sum() >= 0.99 * best.sum()
    assert (guide["price.recommended"] == guide["price.floor"]).mean() <= 0.10


@pytest.fixture(scope="module")
def casino():
    w = world.casino_world(5, guests=1200)
    return w, propensity.train(w.offers, w.visits, w.guests)


def test_propensity_sees_tastes_and_ranks_almost_like_the_truth(casino):
    """Bug 6: take-up follows interests and cuisines, which the model now uses."""
    w, model = casino
    holdout = model.card.metrics["accept"]
    truth_auc = roc_auc_score(
        w.offers["accepted"].tail(holdout["n"]), w.offers["true_p_accept"].tail(holdout["n"])
    )
    blind = propensity.train(w.offers, w.visits, w.guests[["guest_id", "tier"]])
    assert holdout["auc"] >= truth_auc - 0.03
    assert holdout["auc"] > blind.card.metrics["accept"]["auc"] + 0.05


def test_propensity_calibrated_per_offer_type_against_the_truth(casino):
    w, model = casino
    features = propensity.offer_features(w.offers, w.visits, w.guests)
    p = model.pipeline.predict_proba(features)[:, 1]
    by_type = pd.DataFrame(
        {"p": p, "truth": w.offers["true_p_accept"], "t": w.offers["offer_type"]}
    )
    means = by_type.groupby("t")[["p", "truth"]].mean()
    assert (means["p"] - means["truth"]).abs().max() <= 0.05, means
