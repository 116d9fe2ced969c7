"""Time the models on synthetic demo-sized data: `python bench/models_bench.py`.

Reports guidance for one quote (p50/p95), 10,000 quotes in batch, scoring 100,000 guests
and training times, each next to a naive baseline measured in the same run.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from models import cargo_pricing, guest_value, price_guidance, propensity, synthetic

TARGETS = {"one_quote_p95_ms": 20.0, "batch_10k_s": 1.0, "score_100k_s": 10.0}


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """Seconds taken by FN and its result."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def naive_guidance(trained, request: dict) -> int:
    """Baseline: run the whole pipeline on every whole-cent rate from 0.50 to 3x the lane rate."""
    rates = np.arange(50, 1500) / 100
    frame = pd.DataFrame([request] * len(rates)).assign(rate_per_kg=rates)
    p = trained.pipeline.predict_proba(frame)[:, 1]
    return int(np.argmax(p * (rates - float(request["displacement_cost"]))))


def bench_training() -> tuple[dict[str, float], object, pd.DataFrame, object]:
    guests = synthetic.guests(2000, seed=1)
    visits = synthetic.visits(guests, seed=1)
    offers = synthetic.offers(guests, visits, seed=1)
    flights = synthetic.cargo_flights(seed=2)
    quotes = synthetic.cargo_quotes(flights, 20_000, seed=2)
    times = {}
    label = f"train guest_value (2,000 guests, {len(visits):,} visits) s"
    times[label], _ = timed(lambda: guest_value.train(visits, guests))
    label = f"train propensity ({len(offers):,} offers) s"
    times[label], offer_model = timed(lambda: propensity.train(offers, visits, guests))
    bookings = synthetic.cargo_bookings(flights, seed=2)
    seconds, cargo = timed(lambda: cargo_pricing.train(quotes, flights, bookings))
    times[f"train cargo_pricing (20,000 quotes, {len(flights):,} flights) s"] = seconds
    return times, cargo, quotes, offer_model


def bench_one_quote(cargo, quotes: pd.DataFrame) -> dict[str, float]:
    requests = synthetic.quote_requests(quotes.head(300), displacement_cost=0.4)
    rows = [r for _, r in requests.iterrows()]
    price_guidance.recommend(cargo, rows[0].to_dict())  # warm-up
    laps = [timed(lambda r=r: price_guidance.recommend(cargo, r.to_dict()))[0] for r in rows]
    naive = [timed(lambda r=r: naive_guidance(cargo, r.to_dict()))[0] for r in rows[:50]]
    return {
        "one quote p50 ms": 1000 * float(np.percentile(laps, 50)),
        "one quote p95 ms": 1000 * float(np.percentile(laps, 95)),
        "naive full-grid p95 ms": 1000 * float(np.percentile(naive, 95)),
    }


def bench_batch(cargo, quotes: pd.DataFrame) -> dict[str, float]:
    requests = synthetic.quote_requests(quotes.sample(10_000, replace=True, random_state=0))
    seconds, _ = timed(lambda: price_guidance.recommend_batch(cargo, requests))
    sample = [r.to_dict() for _, r in requests.head(200).iterrows()]
    loop, _ = timed(lambda: [price_guidance.recommend(cargo, r) for r in sample])
    return {"batch 10,000 quotes s": seconds, "per-row loop, 10,000 quotes s (from 200)": loop * 50}


def bench_scoring(offer_model) -> tuple[float, float, str, float]:
    guests = synthetic.guests(100_000, seed=3)
    visits = synthetic.visits(guests, seed=3)
    as_of = visits["visit_date"].max()
    offers_s, _ = timed(lambda: propensity.score(offer_model, visits, guests, as_of=as_of))
    model = guest_value.train(visits[visits["guest_id"].isin(guests["guest_id"].head(5000))])
    seconds, facts = timed(lambda: guest_value.score(model, visits))
    few = guests["guest_id"].head(200)
    by_guest = [visits[visits["guest_id"] == g] for g in few]
    loop, _ = timed(lambda: [guest_value.score(model, v, as_of=as_of) for v in by_guest])
    return seconds, loop * 500, f"{len(facts):,} guests, {len(visits):,} visits", offers_s


def main() -> None:
    warnings.simplefilter("error")
    training, cargo, quotes, offer_model = bench_training()
    one = bench_one_quote(cargo, quotes)
    batch = bench_batch(cargo, quotes)
    score_s, score_loop_s, scored, offers_s = bench_scoring(offer_model)
    scoring = {
        f"score guest_value ({scored}) s": score_s,
        "score propensity, 5 offer types (same guests) s": offers_s,
        "per-guest loop, 100,000 guests s (from 200)": score_loop_s,
    }
    for name, value in {**training, **one, **batch, **scoring}.items():
        print(f"{name:<62} {value:10.3f}")
    print()
    ratios = {
        "one quote: naive full grid / closed form (p95)": one["naive full-grid p95 ms"]
        / one["one quote p95 ms"],
        "10,000 quotes: per-row loop / batch": batch["per-row loop, 10,000 quotes s (from 200)"]
        / batch["batch 10,000 quotes s"],
        "100,000 guests: per-guest loop / batch": score_loop_s / score_s,
    }
    for name, value in ratios.items():
        print(f"{name:<62} {value:9.1f}x")
    print()
    checks = {
        "one_quote_p95_ms": one["one quote p95 ms"],
        "batch_10k_s": batch["batch 10,000 quotes s"],
        "score_100k_s": score_s + offers_s,  # both guest models, as `flask models score` runs them
    }
    for key, value in checks.items():
        verdict = "ok" if value <= TARGETS[key] else "OVER TARGET"
        print(f"target {key:<20} {value:8.3f} <= {TARGETS[key]:<6} {verdict}")


if __name__ == "__main__":
    main()
