"""The cargo airline: shippers, lanes, flights with booking curves, quotes, competitor rates.

Quote outcomes come from a known logistic response to price against the best
competitor, transit time (ours minus the competitor's), account tier and share of wallet,
so the win-probability model has a real signal to find (docs/demo-world.md gives the
formula). Every shipment books at a lead time drawn from the lanes' booking curve, and
each shipper's share of our revenue follows their size and their hidden share of wallet.
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
#: Days of lead time in which a flight books on average (share booked d days out: e^(-d/10)).
BOOKING_LEAD_DAYS = 10.0
#: Demand per flight as a share of capacity: Beta(7, 2.2) x 1.15, so about 20% of flights
#: have more demand than space (peak days) and the average flight leaves about 80% full.
DEMAND_SCALE = 1.15
#: Variable cost of carrying one more chargeable kg (docs/demo-world.md gives the sources):
#: ground handling at both ends, plus the fuel burnt to carry the extra weight, about 3.5%
#: of the weight per block hour at a jet-fuel price of $0.75/kg.
HANDLING_PER_KG = 0.20
FUEL_PRICE_PER_KG = 0.75
BURN_PER_KG_HOUR = 0.035
LANE_COSTS = {
    code: round(HANDLING_PER_KG + BURN_PER_KG_HOUR * FUEL_PRICE_PER_KG * hours, 2)
    for code, _n, _cap, _rate, hours in LANES
}


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
                # Demand is not capped by the aircraft: about one flight in five is oversold
                # and turns shippers away once full (bookings() takes them in booking order).
                demand_lf = float(np.clip(rng.beta(7, 2.2) * DEMAND_SCALE, 0.2, None))
                booked = min(demand_lf, 1.0) * _curve(offset) * cap_kg  # until bookings()
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
                    "_demand_kg": demand_lf * cap_kg,
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
    # Ours minus the best competitor's hours: competitors route via hubs, so we are usually faster.
    transit_diff = float(rng.normal(-3.5, 4.0))
    tier = CUSTOMER_TIERS.index(customer["tier"])
    p_win = win_probability(rate, market, transit_diff, tier, customer["_share"])
    won = bool(rng.random() < p_win)
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
        "_market": market,
        "_p_win": p_win,
    }


def _lost_reason(rng, rate: float, comp: float | None, transit_diff: float) -> str:
    if comp is not None and rate > comp * 1.03:
        return "price"
    if transit_diff > 4:
        return "transit_time"
    return str(rng.choice(["price", "relationship", "capacity", "other"], p=[0.4, 0.25, 0.2, 0.15]))


def bookings(
    rng, flight_rows: list[dict], quote_rows: list[dict], customer_rows: list[dict], now: datetime
) -> list[dict]:
    """Won quotes become bookings; other shippers book each flight's demand until it is full.

    Background shipments (about 1.5 t each) go to the lane's shippers in proportion to
    their size times their hidden share of wallet, and book at lead times drawn from the
    booking curve; those not yet booked by NOW are left out. Afterwards each flight's booked
    weight and volume are the sums of its bookings, and each shipper's estimated annual
    spend is what they booked with us, annualised, over their share (with a sales
    estimate's error), so the share the app computes follows the hidden one.
    """
    rows: list[dict] = []
    for qi, q in enumerate(quote_rows):
        if q["outcome"] == "won":
            at = q["quoted_at"] + timedelta(hours=2)
            rows.append(_booking(q["_flight_index"], q["_customer_index"], qi, q, at))
    won_kg = np.zeros(len(flight_rows))
    for b in rows:
        won_kg[b["_flight_index"]] += b["weight_kg"]
    on_lane = defaultdict(list)
    for ci, c in enumerate(customer_rows):
        for lane in c["_lanes"]:
            on_lane[lane].append(ci)
    size = np.array([float(c["est_annual_spend"]) * c["_share"] for c in customer_rows])
    for fi, f in enumerate(flight_rows):
        shippers = np.array(on_lane[f["_lane_index"]])
        weights = size[shippers] / size[shippers].sum()
        parts = _split(rng, int(f["_demand_kg"] - won_kg[fi]))
        leads = np.maximum(rng.exponential(BOOKING_LEAD_DAYS, len(parts)), 0.05)
        who = rng.choice(shippers, size=len(parts), p=weights)
        rates = LANES[f["_lane_index"]][3] * rng.lognormal(-0.05, 0.06, len(parts))
        room = f["capacity_kg"] - won_kg[fi]
        for n in np.argsort(-leads, kind="stable"):  # earliest booking first
            if parts[n] > room:  # full: this shipper goes to another airline (spill)
                continue
            room -= parts[n]
            at = f["departs_at"] - timedelta(days=float(leads[n]))
            if at > now:  # not booked yet
                continue
            shipment = {
                "weight_kg": parts[n],
                "volume_m3": Decimal(f"{parts[n] / 170:.3f}"),
                "rate_per_kg": money(rates[n]),
            }
            rows.append(_booking(fi, int(who[n]), None, shipment, at))
        f["_final_kg"] = f["capacity_kg"] - room  # the truth: the load it will leave with
    _sum_loads(flight_rows, rows)
    _estimate_spend(rng, customer_rows, rows, now)
    return rows


def _sum_loads(flight_rows: list[dict], rows: list[dict]) -> None:
    for f in flight_rows:
        f["booked_kg"], f["booked_m3"] = 0, Decimal(0)
    for b in rows:
        f = flight_rows[b["_flight_index"]]
        f["booked_kg"] += b["weight_kg"]
        f["booked_m3"] += b["volume_m3"]


def _estimate_spend(rng, customer_rows: list[dict], rows: list[dict], now: datetime) -> None:
    """Each shipper's estimated air-cargo spend: our annualised revenue over their true share."""
    revenue = np.zeros(len(customer_rows))
    first = min((b["booked_at"] for b in rows), default=now)
    for b in rows:
        kg = max(b["weight_kg"], float(b["volume_m3"]) * KG_PER_M3)
        revenue[b["_customer_index"]] += kg * float(b["rate_per_kg"])
    days = min(max((now - first).total_seconds() / 86400, 30.0), 365.0)
    for ci, c in enumerate(customer_rows):
        if revenue[ci] > 0:
            annual = revenue[ci] * 365 / days
            c["est_annual_spend"] = money(annual / c["_share"] * rng.lognormal(0.0, 0.15))


def _split(rng, total: int) -> list[int]:
    """A flight's background load as shipments of about 1.5 t, uneven in size."""
    if total < 100:
        return []
    sizes = rng.lognormal(np.log(1500), 0.8, max(1, round(total / 2000)))
    parts = np.floor(sizes / sizes.sum() * total).astype(int)
    return [int(p) for p in parts if p > 0]


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
