"""Synthetic data with realistic structure for tests and the bench (never used in training code)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .cargo_pricing import QUOTE_COLUMNS

TIERS = ("member", "gold", "platinum", "diamond", "black")
TIER_WEIGHTS = (0.55, 0.25, 0.12, 0.06, 0.02)
OFFER_TYPES = ("dining", "show", "free_play", "room_upgrade", "spa")
CARGO_TIERS = ("key", "large", "standard", "small")
LANES = {"HKG-FRA": 4.20, "PVG-LAX": 3.60, "SIN-AMS": 3.90, "NRT-ORD": 4.80, "ICN-JFK": 4.50}


def guests(n: int, seed: int = 0) -> pd.DataFrame:
    """Guest ids with a tier."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "guest_id": [f"G{i:06d}" for i in range(n)],
            "tier": rng.choice(TIERS, size=n, p=TIER_WEIGHTS),
        }
    )


def visits(
    guest_frame: pd.DataFrame,
    start: str = "2024-11-01",
    days: int = 730,
    seed: int = 0,
) -> pd.DataFrame:
    """BG/NBD-like trips with seasonality, multi-day stays and heavy-tailed daily theo."""
    rng = np.random.default_rng(seed)
    n = len(guest_frame)
    tier_rank = guest_frame["tier"].map({t: i for i, t in enumerate(TIERS)}).to_numpy()
    rate = rng.gamma(0.9, 1 / 30, n) * (1 + 0.3 * tier_rank)  # trips per day
    drop = rng.beta(1.2, 7.0, n)
    first = rng.uniform(0, days * 0.8, n)
    starts = _trip_starts(rng, rate, drop, first, days)
    guest_idx = np.concatenate([np.full(len(s), i) for i, s in enumerate(starts)])
    trip_start = np.floor(np.concatenate(starts)).astype(int)
    length = 1 + rng.poisson(0.3 + 0.3 * tier_rank[guest_idx])
    return _trip_days(rng, guest_frame, tier_rank, guest_idx, trip_start, length, start, days)


def _trip_starts(
    rng: np.random.Generator, rate: np.ndarray, drop: np.ndarray, first: np.ndarray, days: int
) -> list[np.ndarray]:
    """Event times per guest: Poisson trips thinned by season, drop-out after each trip."""
    out: list[list[float]] = [[f] for f in first]
    t = first.copy()
    alive = np.ones(len(rate), dtype=bool) & (rng.random(len(rate)) > drop)
    peak = 1.3
    while alive.any():
        idx = np.flatnonzero(alive)
        t[idx] += rng.exponential(1 / (rate[idx] * peak))
        alive[idx[t[idx] >= days]] = False
        idx = idx[t[idx] < days]
        season = 1 + 0.3 * np.sin(2 * np.pi * t[idx] / 365.25)
        keep = idx[rng.random(len(idx)) < season / peak]
        for i in keep:
            out[i].append(t[i])
        alive[keep[rng.random(len(keep)) < drop[keep]]] = False
    return [np.array(s) for s in out]


def _trip_days(
    rng: np.random.Generator,
    guest_frame: pd.DataFrame,
    tier_rank: np.ndarray,
    guest_idx: np.ndarray,
    trip_start: np.ndarray,
    length: np.ndarray,
    start: str,
    days: int,
) -> pd.DataFrame:
    """Expand trips to visit days with theo and spend; some guests fade in value over time."""
    n = len(guest_frame)
    adt = rng.lognormal(np.log(150) + 0.6 * tier_rank, 0.9, n)
    fade = np.where(rng.random(n) < 0.25, rng.uniform(0.2, 0.9, n), 1.0)
    g = np.repeat(guest_idx, length)
    day = np.repeat(trip_start, length) + (
        np.arange(len(g)) - np.repeat(np.cumsum(length) - length, length)
    )
    keep = day < days
    g, day = g[keep], day[keep]
    trend = fade[g] ** (day / days)
    theo = adt[g] * trend * rng.lognormal(-0.125, 0.5, len(g))
    spend = adt[g] * 0.4 * rng.lognormal(-0.5, 1.0, len(g))
    return pd.DataFrame(
        {
            "guest_id": guest_frame["guest_id"].to_numpy()[g],
            "visit_date": pd.Timestamp(start) + pd.to_timedelta(day, unit="D"),
            "theo_win": np.round(theo, 2),
            "spend": np.round(spend, 2),
            "zone": rng.choice(["slots", "tables", "poker", "hotel"], size=len(g)),
        }
    ).sort_values(["guest_id", "visit_date"], ignore_index=True)


def offers(guest_frame: pd.DataFrame, visit_frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Offers around guests' visits; acceptance depends on history, tier and a hidden taste."""
    from models.propensity import offer_features  # only the generator needs the features

    rng = np.random.default_rng(seed)
    days = visit_frame.drop_duplicates(["guest_id", "visit_date"])
    picked = days.sample(frac=0.6, random_state=seed)
    frame = pd.DataFrame(
        {
            "guest_id": picked["guest_id"].to_numpy(),
            "offered_on": picked["visit_date"].to_numpy()
            + pd.to_timedelta(rng.integers(-20, 3, len(picked)), unit="D"),
            "offer_type": rng.choice(OFFER_TYPES, len(picked)),
            "accepted": False,
        }
    )
    features = offer_features(frame, visit_frame, guest_frame)
    taste = rng.normal(0, 1.0, (len(guest_frame), len(OFFER_TYPES)))
    g = pd.Index(guest_frame["guest_id"]).get_indexer(frame["guest_id"])
    t = pd.Index(OFFER_TYPES).get_indexer(frame["offer_type"])
    logit = _accept_logit(features, t) + taste[g, t]
    frame["accepted"] = rng.random(len(frame)) < 1 / (1 + np.exp(-logit))
    return frame.sort_values("offered_on", ignore_index=True)


def _accept_logit(features: pd.DataFrame, offer_type: np.ndarray) -> np.ndarray:
    tier = features["tier"].map({t: i for i, t in enumerate(TIERS)}).fillna(0).to_numpy()
    adt = np.log1p(features["adt_365"].fillna(50).to_numpy())
    spend = np.log1p(features["spend_per_day_365"].fillna(20).to_numpy())
    recent = features["visit_days_90"].to_numpy()
    gone = np.minimum(features["days_since_visit"].fillna(365).to_numpy(), 365) / 90
    effects = np.stack(
        [
            -1.2 + 0.7 * (spend - 4),  # dining: guests who spend off the floor
            -1.0 + 0.3 * recent,  # show: frequent visitors
            -0.8 + 0.6 * (adt - 5),  # free play: gamers
            -1.6 + 0.5 * tier,  # room upgrade: higher tiers
            -1.8 + 0.3 * tier + 0.4 * (spend - 4),  # spa
        ],
        axis=1,
    )
    return effects[np.arange(len(offer_type)), offer_type] - 0.4 * gone


def cargo_flights(start: str = "2025-11-01", days: int = 365, seed: int = 0) -> pd.DataFrame:
    """One flight a day on each lane."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=days, freq="D")
    lanes = np.repeat(list(LANES), len(dates))
    departure = np.tile(dates, len(LANES)) + pd.Timedelta(hours=22)
    n = len(lanes)
    capacity = rng.choice([6_000.0, 10_000.0, 15_000.0], n)
    return pd.DataFrame(
        {
            "flight_id": [f"{lane[:3]}{i:05d}" for i, lane in enumerate(lanes)],
            "lane": lanes,
            "departure": departure,
            "capacity_kg": capacity,
            "booked_kg": capacity * rng.uniform(0.3, 0.9, n),
            "capacity_m3": capacity / 160,
            "booked_m3": capacity / 160 * rng.uniform(0.3, 0.9, n),
        }
    )


def cargo_quotes(flights: pd.DataFrame, n: int, seed: int = 0) -> pd.DataFrame:
    """Quotes against flights; wins depend on price vs competitor, transit, tier and wallet."""
    rng = np.random.default_rng(seed)
    flight = flights.iloc[rng.integers(0, len(flights), n)].reset_index(drop=True)
    days = np.minimum(rng.exponential(9.0, n), 59.0)
    ref = flight["lane"].map(LANES).to_numpy()
    tier = rng.choice(CARGO_TIERS, n, p=(0.15, 0.25, 0.4, 0.2))
    load = np.clip(0.92 - 0.012 * days + rng.normal(0, 0.08, n), 0.05, 1.0)
    comp = ref * rng.lognormal(0, 0.12, n)
    rate = ref * rng.lognormal(0, 0.15, n) * (1 + 0.25 * load)
    transit = rng.normal(0, 10, n)
    weight = rng.lognormal(np.log(600), 1.0, n)
    sow = rng.beta(2, 4, n)
    tier_effect = pd.Series(tier).map({"key": 0.6, "large": 0.3, "standard": 0.0, "small": -0.3})
    logit = 0.4 - 7.0 * np.log(rate / comp) - 0.03 * transit + tier_effect + 1.2 * (sow - 0.33)
    won = rng.random(n) < 1 / (1 + np.exp(-logit.to_numpy()))
    return pd.DataFrame(
        {
            "quote_id": [f"Q{i:07d}" for i in range(n)],
            "quoted_at": flight["departure"] - pd.to_timedelta(days, unit="D"),
            "customer_id": [f"C{c:04d}" for c in rng.integers(0, 400, n)],
            "customer_tier": tier,
            "share_of_wallet": np.round(sow, 3),
            "lane": flight["lane"],
            "weight_kg": np.round(weight, 1),
            "volume_m3": np.round(weight / rng.uniform(120, 250, n), 2),
            "rate_per_kg": np.round(rate, 2),
            "competitor_best_rate": np.where(rng.random(n) < 0.25, np.nan, np.round(comp, 2)),
            "transit_diff_hours": np.where(rng.random(n) < 0.3, np.nan, np.round(transit, 1)),
            "days_to_departure": np.round(days, 2),
            "load_factor": np.round(load, 3),
            "won": won,
        }
    ).sort_values("quoted_at", ignore_index=True)


def quote_requests(quotes: pd.DataFrame, displacement_cost: float = 0.5) -> pd.DataFrame:
    """Quote history rows reshaped as guidance requests."""
    return quotes[QUOTE_COLUMNS].assign(displacement_cost=displacement_cost).reset_index(drop=True)


def cargo_bookings(flights: pd.DataFrame, per_flight: int = 6, seed: int = 0) -> pd.DataFrame:
    """Bookings that add up to each flight's booked weight, made 0-40 days before departure."""
    rng = np.random.default_rng(seed)
    n = len(flights) * per_flight
    flight = np.repeat(np.arange(len(flights)), per_flight)
    parts = rng.dirichlet(np.ones(per_flight), len(flights)).ravel()
    kg = flights["booked_kg"].to_numpy()[flight] * parts
    lead = np.minimum(rng.exponential(8.0, n), 40.0)
    return pd.DataFrame(
        {
            "flight_id": flights["flight_id"].to_numpy()[flight],
            "customer_id": [f"C{c:04d}" for c in rng.integers(0, 400, n)],
            "booked_at": flights["departure"].to_numpy()[flight] - pd.to_timedelta(lead, unit="D"),
            "weight_kg": np.round(kg, 1),
            "volume_m3": np.round(kg / 200, 3),
            "rate_per_kg": flights["lane"].map(LANES).to_numpy()[flight] * rng.lognormal(0, 0.1, n),
        }
    )
