"""The casino resort's guests, two years of visits, and past offers.

Visits follow the repeat-buying story the guest-value model assumes (docs/demo-world.md):
each guest buys trips at a personal Poisson rate (Gamma across guests) and, after
any trip, may drop out for good (Beta across guests); trip value is lognormal
around a heavy-tailed personal average; weekends, summer and December are busier.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from . import names

TIERS = ("member", "gold", "platinum", "diamond", "black")
TIER_SHARE = (0.55, 0.25, 0.12, 0.06, 0.02)
#: Median average daily theoretical (ADT) by tier, in dollars.
TIER_ADT = (60.0, 180.0, 450.0, 1200.0, 4000.0)
#: Trips a year by tier (mean of the Gamma).
TIER_TRIPS = (3.0, 6.0, 10.0, 14.0, 18.0)
OFFER_TYPES = ("dining", "show", "free_play", "room_upgrade", "spa")
OFFER_VALUE = {"dining": 150, "show": 120, "free_play": 250, "room_upgrade": 300, "spa": 180}
MONTH_FACTOR = np.array([0.8, 0.85, 1.0, 1.0, 1.05, 1.2, 1.3, 1.25, 1.0, 0.95, 0.9, 1.35])
WEEKDAY_FACTOR = np.array([0.6, 0.55, 0.6, 0.8, 1.5, 1.9, 1.2])


def money(x: float) -> Decimal:
    return Decimal(f"{x:.2f}")


def pick(rng: np.random.Generator, options: tuple[str, ...], low: int, high: int) -> list[str]:
    count = int(rng.integers(low, high + 1))
    return sorted(rng.choice(options, size=min(count, len(options)), replace=False).tolist())


def guests(rng: np.random.Generator, count: int, host_ids: list[int]) -> list[dict]:
    """Profiles: tier, heavy-tailed worth, preferences, compliance flags, coded host."""
    tiers = rng.choice(len(TIERS), size=count, p=TIER_SHARE)
    rows = []
    for i, t in enumerate(tiers):
        coded = t >= 2 or (t == 1 and rng.random() < 0.3)
        rows.append(
            {
                "external_id": f"G{100000 + i}",
                "name": f"{rng.choice(names.FIRST)} {rng.choice(names.LAST)}",
                "tier": TIERS[t],
                "tier_progress": None if t == 4 else round(float(rng.beta(2, 3)), 3),
                "host_id": host_ids[i % len(host_ids)] if coded else None,
                "cuisines": pick(rng, names.CUISINES, 0, 3),
                "drinks": pick(rng, names.DRINKS, 0, 2),
                "interests": pick(rng, names.INTERESTS, 1, 3),
                "self_excluded": bool(rng.random() < 0.01),
                "do_not_market": bool(rng.random() < 0.03),
                "notes": "",
                "_tier_index": int(t),
            }
        )
    return rows


def _trip_days(rng: np.random.Generator, tier: int, days: int, season: np.ndarray) -> np.ndarray:
    """Day offsets of one guest's trips: Poisson trips with seasonality, then a dropout."""
    rate = rng.gamma(shape=2.0, scale=TIER_TRIPS[tier] / 2.0) / 365.0
    joined = int(rng.integers(0, days // 2)) if rng.random() < 0.4 else 0
    hits = rng.random(days) < rate * season
    hits[:joined] = False
    trips = np.flatnonzero(hits)
    dropout = rng.beta(1.0, 6.0 + 2 * tier)  # better tiers are more loyal
    last = rng.geometric(dropout) if dropout > 0 else len(trips)
    return trips[: max(1, last)] if len(trips) else trips


def visits(rng: np.random.Generator, guest_rows: list[dict], start: date, days: int):
    """Two years of trip days per guest, with spend, theoretical, rating and complaints."""
    day_index = np.arange(days)
    dates = [start + timedelta(days=int(d)) for d in day_index]
    season = (
        MONTH_FACTOR[[d.month - 1 for d in dates]] * WEEKDAY_FACTOR[[d.weekday() for d in dates]]
    )
    for guest_index, guest in enumerate(guest_rows):
        tier = guest["_tier_index"]
        adt = TIER_ADT[tier] * rng.lognormal(0.0, 0.8)
        for d in _trip_days(rng, tier, days, season):
            theo = adt * rng.lognormal(0.0, 0.5)
            unhappy = rng.random() < 0.07
            yield {
                "guest_index": guest_index,
                "visit_date": dates[int(d)],
                "zone": _gaming_zone(rng, tier, guest["interests"]),
                "theo_win": money(theo),
                "spend": money(theo * 0.35 * rng.lognormal(0.0, 0.4)),
                "rating": int(rng.integers(1, 3)) if unhappy else int(rng.choice([3, 4, 4, 5, 5])),
                "complaint": str(rng.choice(names.COMPLAINTS)) if unhappy else None,
            }


def _gaming_zone(rng: np.random.Generator, tier: int, interests: list[str]) -> str:
    if "poker" in interests and rng.random() < 0.6:
        return "poker_room"
    if "sports betting" in interests and rng.random() < 0.4:
        return "sportsbook"
    return "high_limit" if tier >= 3 and rng.random() < 0.7 else "main_floor"


def offers(rng: np.random.Generator, guest: dict, visit_dates: list[date]):
    """Offers made on some trips; take-up depends on what the guest likes (for propensity)."""
    seen = set()
    for day in visit_dates:
        if rng.random() > 0.3:
            continue
        kind = str(rng.choice(OFFER_TYPES))
        if (day, kind) in seen:
            continue
        seen.add((day, kind))
        logit = -0.6 + 0.25 * guest["_tier_index"] + _affinity(guest, kind)
        p_accept = float(1 / (1 + np.exp(-logit)))
        yield {
            "offered_on": day,
            "offer_type": kind,
            "value": money(OFFER_VALUE[kind] * (1 + guest["_tier_index"])),
            "accepted": bool(rng.random() < p_accept),
            "_p_accept": p_accept,
        }


def _affinity(guest: dict, kind: str) -> float:
    likes = {
        "dining": len(guest["cuisines"]) > 1,
        "show": "shows" in guest["interests"] or "boxing" in guest["interests"],
        "free_play": bool({"slots", "roulette"} & set(guest["interests"])),
        "room_upgrade": guest["_tier_index"] >= 2,
        "spa": "spa" in guest["interests"],
    }
    return 1.6 if likes[kind] else -0.9
