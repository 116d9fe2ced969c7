"""The demo world as DataFrames, without a database, with the truth the generator knows.

The truth-recovery tests (tests/models/test_truth_recovery.py) and the pricing report
(bench/pricing_report.py) build fresh worlds here: the same generator as `demo.load`, the
same feature functions as the app (`models.cargo_features`), plus each quote's true market
rate and win probability.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pandas as pd

from models import cargo_features

from . import cargo, casino


@dataclass(frozen=True)
class CargoWorld:
    quotes: pd.DataFrame  # the training frame, plus true_market and true_p_win
    flights: pd.DataFrame  # loads as booked by `now`
    bookings: pd.DataFrame
    customers: pd.DataFrame  # customer_id, tier, est_annual_spend, true_share
    now: datetime  # naive UTC


def cargo_world(
    seed: int,
    *,
    shippers: int = 300,
    quotes: int = 6000,
    past_days: int = 90,
    future_days: int = 30,
) -> CargoWorld:
    """A fresh cargo world from SEED, as the demo generates it."""
    rng = np.random.default_rng(seed)
    today = date(2026, 6, 1)
    now = datetime.combine(today, time(12, 0), tzinfo=UTC)
    lane_ids = list(range(len(cargo.LANES)))
    customer_rows = cargo.customers(rng, shippers, [1])
    flight_rows = list(cargo.flights(rng, lane_ids, today, past_days, future_days))
    comp_rows = list(cargo.competitor_rates(rng, lane_ids, today, past_days + 14))
    comp_index = _best_competitor_by_day(comp_rows)
    quote_rows = list(cargo.quotes(rng, customer_rows, flight_rows, today, comp_index, quotes))
    booking_rows = cargo.bookings(rng, flight_rows, quote_rows, customer_rows, now)
    bookings = _bookings(booking_rows)
    customers = pd.DataFrame(
        {
            "customer_id": range(len(customer_rows)),
            "tier": [c["tier"] for c in customer_rows],
            "est_annual_spend": [float(c["est_annual_spend"]) for c in customer_rows],
            "true_share": [c["_share"] for c in customer_rows],
        }
    )
    flights = _flights(flight_rows)
    frame = _quotes(quote_rows, flight_rows, customer_rows)
    frame["share_of_wallet"] = cargo_features.share_of_wallet(
        frame.pop("customer_id"),
        frame["quoted_at"],
        bookings,
        customers.set_index("customer_id")["est_annual_spend"],
    )
    return CargoWorld(frame, flights, bookings, customers, now.replace(tzinfo=None))


def _naive(moment: datetime) -> pd.Timestamp:
    return pd.Timestamp(moment.astimezone(UTC).replace(tzinfo=None))


def _best_competitor_by_day(comp_rows: list[dict]) -> dict:
    best: dict = {}
    for row in comp_rows:
        for lag in range(7):
            key = (row["lane_id"], row["observed_on"] + timedelta(days=lag))
            rate = float(row["rate_per_kg"])
            best[key] = min(rate, best.get(key, rate))
    return best


def _bookings(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "flight_id": [b["_flight_index"] for b in rows],
            "customer_id": [b["_customer_index"] for b in rows],
            "booked_at": [_naive(b["booked_at"]) for b in rows],
            "weight_kg": [float(b["weight_kg"]) for b in rows],
            "volume_m3": [float(b["volume_m3"]) for b in rows],
            "rate_per_kg": [float(b["rate_per_kg"]) for b in rows],
        }
    )
    chargeable = np.maximum(frame["weight_kg"], frame["volume_m3"] * cargo.KG_PER_M3)
    frame["revenue"] = chargeable * frame["rate_per_kg"]
    return frame


def _flights(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "flight_id": range(len(rows)),
            "lane": [cargo.LANES[f["_lane_index"]][0] for f in rows],
            "departure": [_naive(f["departs_at"]) for f in rows],
            "capacity_kg": [float(f["capacity_kg"]) for f in rows],
            "booked_kg": [float(f["booked_kg"]) for f in rows],
            "capacity_m3": [float(f["capacity_m3"]) for f in rows],
            "booked_m3": [float(f["booked_m3"]) for f in rows],
            "block_hours": [cargo.LANES[f["_lane_index"]][4] for f in rows],
            "true_demand_kg": [f["_demand_kg"] for f in rows],
            "true_final_kg": [float(f["_final_kg"]) for f in rows],
        }
    )


def _quotes(rows: list[dict], flight_rows: list[dict], customer_rows: list[dict]) -> pd.DataFrame:
    departs = [_naive(flight_rows[q["_flight_index"]]["departs_at"]) for q in rows]
    quoted = [_naive(q["quoted_at"]) for q in rows]
    comp = [q["competitor_best_rate"] for q in rows]
    return pd.DataFrame(
        {
            "quoted_at": quoted,
            "customer_id": [q["_customer_index"] for q in rows],
            "customer_tier": [customer_rows[q["_customer_index"]]["tier"] for q in rows],
            "lane": [cargo.LANES[q["_lane_index"]][0] for q in rows],
            "flight_id": [q["_flight_index"] for q in rows],
            "weight_kg": [float(q["weight_kg"]) for q in rows],
            "volume_m3": [float(q["volume_m3"]) for q in rows],
            "rate_per_kg": [float(q["rate_per_kg"]) for q in rows],
            "competitor_best_rate": [float(c) if c is not None else np.nan for c in comp],
            "transit_diff_hours": [q["transit_diff_hours"] for q in rows],
            "load_factor": [q["load_factor_at_quote"] for q in rows],
            "days_to_departure": [
                (d - t).total_seconds() / 86400 for d, t in zip(departs, quoted, strict=True)
            ],
            "won": [q["outcome"] == "won" for q in rows],
            "true_market": [q["_market"] for q in rows],
            "true_p_win": [q["_p_win"] for q in rows],
            "true_share": [customer_rows[q["_customer_index"]]["_share"] for q in rows],
        }
    )


@dataclass(frozen=True)
class CasinoWorld:
    guests: pd.DataFrame  # guest_id, tier, interests, cuisines
    visits: pd.DataFrame
    offers: pd.DataFrame  # plus true_p_accept


def casino_world(seed: int, *, guests: int = 1500, days: int = 730) -> CasinoWorld:
    """A fresh casino world from SEED: guests with tastes, visits, offers and true take-up."""
    rng = np.random.default_rng(seed)
    start = date(2024, 6, 1)
    rows = casino.guests(rng, guests, [1])
    visit_rows = list(casino.visits(rng, rows, start, days))
    by_guest: dict[int, list[date]] = {}
    for v in visit_rows:
        by_guest.setdefault(v["guest_index"], []).append(v["visit_date"])
    offer_rows = [
        {**offer, "guest_index": gi}
        for gi, visit_days in by_guest.items()
        for offer in casino.offers(rng, rows[gi], visit_days)
    ]
    ids = [g["external_id"] for g in rows]
    guest_frame = pd.DataFrame(
        {
            "guest_id": ids,
            "tier": [g["tier"] for g in rows],
            "interests": [g["interests"] for g in rows],
            "cuisines": [g["cuisines"] for g in rows],
        }
    )
    visits = pd.DataFrame(
        {
            "guest_id": [ids[v["guest_index"]] for v in visit_rows],
            "visit_date": pd.to_datetime([v["visit_date"] for v in visit_rows]),
            "theo_win": [float(v["theo_win"]) for v in visit_rows],
            "spend": [float(v["spend"]) for v in visit_rows],
        }
    )
    offers = pd.DataFrame(
        {
            "guest_id": [ids[o["guest_index"]] for o in offer_rows],
            "offered_on": pd.to_datetime([o["offered_on"] for o in offer_rows]),
            "offer_type": [o["offer_type"] for o in offer_rows],
            "accepted": [o["accepted"] for o in offer_rows],
            "true_p_accept": [o["_p_accept"] for o in offer_rows],
        }
    )
    return CasinoWorld(guest_frame, visits, offers.sort_values("offered_on", ignore_index=True))


def sell_out_truth(
    lanes: pd.Series, days: np.ndarray, load: np.ndarray, *, sims: int = 20_000, seed: int = 0
) -> np.ndarray:
    """The generator's own P(a future flight sells out | lane, days out, share booked).

    The demo's future flights book only the background load (`cargo.bookings`): demand
    Beta(7, 2.2) x 1.15 of capacity, split into shipments that book at exponential lead
    times, earliest first, each only if it still fits. SIMS such flights per lane are drawn;
    a flight's probability is the share of simulated flights with about the same share
    booked at the same days out (to the quarter day, up to 31 days; 2%-of-capacity normal
    kernel) that end at >= 97% of capacity, the displacement model's own definition of
    sold out.
    """
    out = np.full(len(days), np.nan)
    lanes = np.asarray(lanes, dtype=str)
    for code in sorted(set(lanes)):
        at = lanes == code
        grid, booked, sold = _simulated_flights(code, sims, seed)
        step = np.clip(np.round(np.asarray(days)[at] / (grid[1] - grid[0])), 0, len(grid) - 1)
        near = booked[step.astype(int)] - np.asarray(load)[at][:, None]
        weight = np.exp(-0.5 * (near / 0.02) ** 2)
        out[at] = (weight * sold).sum(axis=1) / np.maximum(weight.sum(axis=1), 1e-300)
    return out


@functools.lru_cache(maxsize=16)
def _simulated_flights(code: str, sims: int, seed: int) -> tuple[np.ndarray, ...]:
    """Days grid, share booked at each (grid x sims), and sold out (sims) for one lane."""
    rng = np.random.default_rng(seed)
    capacity = next(lane[2] for lane in cargo.LANES if lane[0] == code)
    demand = np.clip(rng.beta(7, 2.2, sims) * cargo.DEMAND_SCALE, 0.2, None) * capacity
    parts = [cargo._split(rng, int(d)) for d in demand]
    width = max(len(p) for p in parts)
    size = np.zeros((sims, width))
    for i, p in enumerate(parts):
        size[i, : len(p)] = p
    lead = np.maximum(rng.exponential(cargo.BOOKING_LEAD_DAYS, size.shape), 0.05)
    order = np.argsort(-lead, axis=1, kind="stable")  # earliest booking first
    size = np.take_along_axis(size, order, axis=1)
    lead = np.take_along_axis(lead, order, axis=1)
    room = np.full(sims, float(capacity))
    for n in range(width):
        fits = size[:, n] <= room
        room -= np.where(fits, size[:, n], 0.0)
        size[:, n] = np.where(fits, size[:, n], 0.0)
    # the demo's departures are at most 30 days ahead; float32 keeps a lane's cache ~10 MB
    grid = np.arange(0.0, 31.01, 0.25)
    booked = np.stack([(size * (lead >= d)).sum(axis=1) for d in grid]) / capacity
    return grid, booked.astype(np.float32), (capacity - room) >= 0.97 * capacity
