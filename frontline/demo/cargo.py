"""The cargo airline: shippers, lanes, flights with booking curves, quotes, competitor rates.

Quote outcomes come from a known logistic response to price against the best
competitor, transit time, account tier and share of wallet, so the win-probability
model has a real signal to find (docs/demo-world.md gives the formula).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np

from . import names

#: code, flights a day, capacity kg per flight, base rate $/kg, block hours
LANES = (
    ("FRA-ORD", 2, 60000, 2.40, 9),
    ("FRA-JFK", 2, 45000, 2.20, 8),
    ("FRA-PVG", 1, 100000, 3.10, 11),
    ("FRA-HKG", 1, 100000, 3.00, 11),
    ("FRA-DXB", 2, 30000, 1.80, 6),
    ("FRA-SIN", 1, 80000, 2.90, 12),
    ("FRA-NBO", 1, 40000, 2.60, 8),
    ("FRA-GRU", 1, 50000, 3.40, 12),
    ("HKG-FRA", 1, 100000, 3.60, 13),
    ("PVG-FRA", 1, 100000, 3.50, 13),
)
CUSTOMER_TIERS = ("key", "large", "standard", "small")
TIER_SHARE = (0.05, 0.15, 0.40, 0.40)
TIER_SPEND = (8_000_000.0, 2_000_000.0, 400_000.0, 80_000.0)
KG_PER_M3 = 166.67


def money(x: float) -> Decimal:
    return Decimal(f"{x:.2f}")


def customers(rng: np.random.Generator, count: int, rep_ids: list[int]) -> list[dict]:
    tiers = rng.choice(len(CUSTOMER_TIERS), size=count, p=TIER_SHARE)
    rows = []
    for i, t in enumerate(tiers):
        word, kind = rng.choice(names.SHIPPER_WORDS), rng.choice(names.SHIPPER_KINDS)
        rows.append(
            {
                "code": f"C{1000 + i}",
                "name": f"{word} {kind} {i % 7 + 1 if i >= 100 else ''}".strip(),
                "tier": CUSTOMER_TIERS[t],
                # Pareto-tailed market spend around the tier's typical size.
                "est_annual_spend": money(TIER_SPEND[t] * (1 + rng.pareto(2.5))),
                "rep_id": rep_ids[i % len(rep_ids)],
                "_share": float(rng.beta(2, 5)),
                "_lanes": sorted(rng.choice(len(LANES), size=3, replace=False).tolist()),
            }
        )
    return rows


def flights(rng: np.random.Generator, lane_ids: list[int], today: date, past: int, future: int):
    """Scheduled departures with capacity; booked weight follows the booking curve."""
    for lane_index, (_code, per_day, cap_kg, _rate, hours) in enumerate(LANES):
        for offset in range(-past, future):
            day = today + timedelta(days=offset)
            for n in range(per_day):
                departs = datetime(day.year, day.month, day.day, 8 + 9 * n, 30, tzinfo=UTC)
                final_lf = float(np.clip(rng.beta(7, 2.2), 0.2, 1.0))
                booked = final_lf * _curve(offset) * cap_kg
                yield {
                    "number": f"FL{100 + lane_index * 10 + n}",
                    "lane_id": lane_ids[lane_index],
                    "departs_at": departs,
                    "arrives_at": departs + timedelta(hours=hours),
                    "capacity_kg": cap_kg,
                    "capacity_m3": Decimal(cap_kg // 160),
                    "booked_kg": int(booked),
                    "booked_m3": Decimal(int(booked / 170)),
                    "_lane_index": lane_index,
                }


def _curve(days_out: int) -> float:
    """Share of the final load already booked this many days before departure."""
    return float(np.exp(-max(0, days_out) / 10.0))


def competitor_rates(rng: np.random.Generator, lane_ids: list[int], today: date, past: int):
    for lane_index, (_code, _n, _cap, base, hours) in enumerate(LANES):
        for offset in range(-past, 1, 3):
            for carrier in rng.choice(names.CARRIERS, size=3, replace=False):
                yield {
                    "carrier": str(carrier),
                    "lane_id": lane_ids[lane_index],
                    "observed_on": today + timedelta(days=offset),
                    "rate_per_kg": money(base * rng.lognormal(-0.04, 0.09)),
                    "currency": "USD",
                    "transit_hours": int(hours + rng.integers(-2, 10)),
                }


def win_probability(
    rate: float, market: float, transit_diff: float, tier: int, share: float
) -> float:
    """The market's true response to our rate against the best competitor (seen or not)."""
    logit = 0.9 - 9.0 * (rate / market - 1.0) - 0.05 * transit_diff
    logit += (0.6, 0.35, 0.0, -0.2)[tier] + 1.2 * (share - 0.3)
    return float(1.0 / (1.0 + np.exp(-logit)))


def quotes(
    rng, customer_rows: list[dict], flight_rows: list[dict], today: date, comp_index, count: int
):
    """Historic quotes on departed flights, outcomes drawn from the true response."""
    by_lane: dict[int, list[int]] = {}
    for i, f in enumerate(flight_rows):
        if f["departs_at"].date() < today:
            by_lane.setdefault(f["_lane_index"], []).append(i)
    weights = np.array([float(c["est_annual_spend"]) for c in customer_rows]) ** 0.5
    chosen = rng.choice(len(customer_rows), size=count, p=weights / weights.sum())
    for n, c in enumerate(chosen):
        lane = int(rng.choice(customer_rows[c]["_lanes"]))
        f = int(rng.choice(by_lane[lane]))
        yield _quote(rng, customer_rows[c], flight_rows[f], comp_index, lane) | {
            "external_id": f"Q{100000 + n}",
            "_customer_index": int(c),
            "_flight_index": f,
            "_lane_index": lane,
        }


def _quote(rng, customer: dict, flight: dict, comp_index, lane: int) -> dict:
    days_out = int(rng.integers(1, 12))
    quoted_at = flight["departs_at"] - timedelta(days=days_out, hours=int(rng.integers(0, 10)))
    final_lf = flight["booked_kg"] / flight["capacity_kg"]
    lf = final_lf * _curve(days_out)
    rate = LANES[lane][3] * (1 + 0.35 * (lf - 0.6)) * rng.lognormal(0.0, 0.08)
    # The market always has a best competitor; we only sometimes see it (15% unobserved).
    market = comp_index.get((lane, quoted_at.date()), LANES[lane][3] * 0.96)
    seen = market if rng.random() >= 0.15 else None
    transit_diff = float(rng.normal(0, 5))
    tier = CUSTOMER_TIERS.index(customer["tier"])
    won = bool(rng.random() < win_probability(rate, market, transit_diff, tier, customer["_share"]))
    weight = int(np.clip(rng.lognormal(7.3, 1.0), 50, 40000))
    return {
        "quoted_at": quoted_at,
        "ready_date": (quoted_at + timedelta(days=1)).date(),
        "weight_kg": weight,
        "volume_m3": Decimal(f"{weight / KG_PER_M3 * rng.uniform(0.5, 1.4):.3f}"),
        "commodity": str(rng.choice(names.COMMODITIES, p=[0.55, 0.1, 0.1, 0.15, 0.07, 0.03])),
        "rate_per_kg": money(rate),
        "outcome": "won" if won else "lost",
        "lost_reason": None if won else _lost_reason(rng, rate, market, transit_diff),
        "competitor_best_rate": money(seen) if seen is not None else None,
        "transit_diff_hours": round(transit_diff, 1),
        "load_factor_at_quote": round(lf, 3),
    }


def _lost_reason(rng, rate: float, comp: float | None, transit_diff: float) -> str:
    if comp is not None and rate > comp * 1.03:
        return "price"
    if transit_diff > 4:
        return "transit_time"
    return str(rng.choice(["price", "relationship", "capacity", "other"], p=[0.4, 0.25, 0.2, 0.15]))


def bookings(
    rng, flight_rows: list[dict], quote_rows: list[dict], customer_rows: list[dict]
) -> list[dict]:
    """Won quotes become bookings; other shippers fill each flight to its booked weight.

    Afterwards each flight's booked weight and volume are the sums of its bookings.
    """
    rows: list[dict] = []
    for qi, q in enumerate(quote_rows):
        if q["outcome"] == "won":
            at = q["quoted_at"] + timedelta(hours=2)
            rows.append(_booking(q["_flight_index"], q["_customer_index"], qi, q, at))
    won_kg = np.zeros(len(flight_rows))
    for b in rows:
        won_kg[b["_flight_index"]] += b["weight_kg"]
    now = datetime.now(UTC)
    on_lane = defaultdict(list)
    for ci, c in enumerate(customer_rows):
        for lane in c["_lanes"]:
            on_lane[lane].append(ci)
    for fi, f in enumerate(flight_rows):
        remaining = int(f["booked_kg"] - won_kg[fi])
        for part in _split(rng, remaining):
            ci = int(rng.choice(on_lane[f["_lane_index"]]))
            shipment = {
                "weight_kg": part,
                "volume_m3": Decimal(f"{part / 170:.3f}"),
                "rate_per_kg": money(LANES[f["_lane_index"]][3] * rng.lognormal(-0.05, 0.06)),
            }
            at = min(now, f["departs_at"] - timedelta(days=float(rng.uniform(0.5, 20))))
            rows.append(_booking(fi, ci, None, shipment, at))
    for f in flight_rows:
        f["booked_kg"], f["booked_m3"] = 0, Decimal(0)
    for b in rows:
        f = flight_rows[b["_flight_index"]]
        f["booked_kg"] += b["weight_kg"]
        f["booked_m3"] += b["volume_m3"]
    return rows


def _split(rng, total: int) -> list[int]:
    """A flight's background load as a few shipments of uneven size."""
    if total < 100:
        return []
    shares = rng.dirichlet(np.ones(int(rng.integers(2, 7))))
    return [int(total * s) for s in shares if int(total * s) > 0]


def _booking(fi: int, ci: int, qi: int | None, shipment: dict, at: datetime) -> dict:
    return {
        "_flight_index": fi,
        "_customer_index": ci,
        "_quote_index": qi,
        "weight_kg": shipment["weight_kg"],
        "volume_m3": shipment["volume_m3"],
        "rate_per_kg": shipment["rate_per_kg"],
        "booked_at": at,
    }
