"""Price guidance per quote: recommended, floor and stretch rates, and the win chance at each.

Contribution per kg is the rate minus what carrying the kilo really costs: the lane's
variable cost (handling, fuel for the extra weight) plus displacement (what the space would
earn from other shippers). Expected contribution EC(r) = P(win | r) x (r - cost - displacement).
- floor: cost + displacement + a minimum margin, rounded up to the cent: below it the airline
  loses money on the shipment (a rep needs approval to go lower);
- recommended: the whole-cent rate >= floor that maximises EC;
- stretch: the highest rate whose win chance is still `stretch_win_prob` (50%), never below
  the recommended rate: where a rep can open.
docs/models.md gives the formulas and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from models import registry
from models.cargo_pricing import QUOTE_COLUMNS, price_response
from models.displacement import chargeable_kg
from models.errors import InvalidInputError
from models.frames import require_columns
from models.money import cents_to_decimal, to_float

FACTS = (
    "price.recommended",
    "price.floor",
    "price.stretch",
    "price.win_prob",
    "price.win_prob_floor",
    "price.win_prob_stretch",
)
REQUEST_COLUMNS = [*QUOTE_COLUMNS, "displacement_cost"]
GRID = 160
NEAR_MARKET = 0.03  # within 3% of the market rate counts as "at the market"


@dataclass(frozen=True)
class PricingPolicy:
    """Business knobs of the guidance; defaults are documented in docs/models.md.

    `lane_costs` maps a lane code to its variable cost per chargeable kg; lanes not in it
    use `default_cost_per_kg`. A request's own `cost_per_kg` column wins over both.
    """

    min_margin_per_kg: Decimal = Decimal("0.05")
    stretch_win_prob: float = 0.5
    max_rate_multiple: float = 3.0
    lane_costs: Mapping[str, Decimal] = field(default_factory=dict)
    default_cost_per_kg: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class Rates:
    """Guidance for one quote; money is Decimal per kg (contribution in total dollars)."""

    recommended: Decimal
    floor: Decimal
    stretch: Decimal
    win_prob: float
    win_prob_floor: float
    win_prob_stretch: float
    expected_contribution: Decimal
    cost_per_kg: Decimal
    reason: str
    model_version: str

    def facts(self) -> dict[str, Any]:
        """The guidance keyed by fact name."""
        return {
            "price.recommended": self.recommended,
            "price.floor": self.floor,
            "price.stretch": self.stretch,
            "price.win_prob": self.win_prob,
            "price.win_prob_floor": self.win_prob_floor,
            "price.win_prob_stretch": self.win_prob_stretch,
        }


def recommend(
    trained: registry.TrainedModel,
    request: Mapping[str, Any],
    policy: PricingPolicy | None = None,
) -> Rates:
    """Guidance for one quote request (a mapping with the request columns)."""
    row = recommend_batch(trained, pd.DataFrame([dict(request)]), policy).iloc[0]
    return Rates(
        recommended=row["price.recommended"],
        floor=row["price.floor"],
        stretch=row["price.stretch"],
        win_prob=float(row["price.win_prob"]),
        win_prob_floor=float(row["price.win_prob_floor"]),
        win_prob_stretch=float(row["price.win_prob_stretch"]),
        expected_contribution=row["price.expected_contribution"],
        cost_per_kg=row["price.cost_per_kg"],
        reason=row["price.reason"],
        model_version=trained.version,
    )


def recommend_batch(
    trained: registry.TrainedModel,
    requests: pd.DataFrame,
    policy: PricingPolicy | None = None,
) -> pd.DataFrame:
    """Guidance for many quotes: fact columns, price.expected_contribution, price.cost_per_kg,
    price.market (competitor or lane reference) and price.reason."""
    policy = policy or PricingPolicy()
    require_columns(requests, REQUEST_COLUMNS, "quote requests")
    requests = requests.reset_index(drop=True)
    a, b = price_response(trained.pipeline, requests)
    quote = _QuoteNumbers.of(trained, requests, policy)
    cents = _search(a, b, quote, policy)
    return _result(trained, requests, a, b, quote, cents, policy)


@dataclass
class _QuoteNumbers:
    cost: np.ndarray  # variable cost per kg, dollars
    displacement: np.ndarray  # dollars per kg
    kg: np.ndarray
    market: np.ndarray  # best competitor rate, else the lane's reference rate (dollars)
    low: np.ndarray  # the floor, whole cents
    high: np.ndarray  # top of the search, whole cents

    @classmethod
    def of(
        cls, trained: registry.TrainedModel, requests: pd.DataFrame, policy: PricingPolicy
    ) -> _QuoteNumbers:
        features = trained.pipeline.named_steps["quote"]
        lane = features.lane_index(requests["lane"])
        displacement = _non_negative(requests, "displacement_cost")
        cost = _lane_costs(requests, policy)
        kg = chargeable_kg(requests)
        if not (kg > 0).all():
            raise InvalidInputError("a quote needs a positive weight or volume")
        margin = float(policy.min_margin_per_kg)
        low = np.ceil(np.round((cost + displacement + margin) * 100, 6)).astype(np.int64)
        low = np.maximum(low, 1)
        comp = to_float(requests["competitor_best_rate"], "competitor_best_rate")
        ref = features.lane_ref_rate_[lane]
        market = np.where(comp > 0, comp, ref)
        top = policy.max_rate_multiple * np.maximum.reduce([ref, np.nan_to_num(comp), low / 100])
        high = np.maximum(np.floor(top * 100).astype(np.int64), low + 2)
        return cls(cost, displacement, kg, market, low, high)

    @property
    def unit_cost(self) -> np.ndarray:
        return self.cost + self.displacement


def _non_negative(requests: pd.DataFrame, column: str) -> np.ndarray:
    values = to_float(requests[column], column)
    if np.isnan(values).any() or (values < 0).any():
        raise InvalidInputError(f"{column} must be present and not negative")
    return values


def _lane_costs(requests: pd.DataFrame, policy: PricingPolicy) -> np.ndarray:
    """Variable cost per kg: the request's own column, else the policy's lane cost."""
    table = {k: float(v) for k, v in policy.lane_costs.items()}
    by_lane = requests["lane"].astype(str).map(table).fillna(float(policy.default_cost_per_kg))
    cost = by_lane.to_numpy(dtype=float)
    if "cost_per_kg" in requests.columns:
        given = to_float(requests["cost_per_kg"], "cost_per_kg")
        cost = np.where(np.isnan(given), cost, given)
    if (cost < 0).any():
        raise InvalidInputError("cost_per_kg must not be negative")
    return cost


def _ec(a: np.ndarray, b: np.ndarray, rate: np.ndarray, quote: _QuoteNumbers) -> np.ndarray:
    """Expected contribution per kg at RATE (dollars per kg), broadcasting over a grid."""
    if rate.ndim == 2:
        return expit(a[:, None] + b[:, None] * np.log(rate)) * (rate - quote.unit_cost[:, None])
    return expit(a + b * np.log(rate)) * (rate - quote.unit_cost)


def _search(
    a: np.ndarray, b: np.ndarray, quote: _QuoteNumbers, policy: PricingPolicy
) -> dict[str, np.ndarray]:
    """Whole-cent recommended, floor and stretch rates for every quote at once."""
    steps = np.linspace(0.0, 1.0, GRID)
    lo, hi = quote.low / 100.0, quote.high / 100.0
    grid = lo[:, None] * (hi / lo)[:, None] ** steps  # geometric: finer where rates are low
    best = _ec(a, b, grid, quote).argmax(axis=1)
    rows = np.arange(len(a))
    left = grid[rows, np.maximum(best - 1, 0)]
    right = grid[rows, np.minimum(best + 1, GRID - 1)]
    fine = left[:, None] + (right - left)[:, None] * np.linspace(0.0, 1.0, 64)
    fine_cents = np.clip(np.round(fine * 100), quote.low[:, None], quote.high[:, None])
    pick = _ec(a, b, fine_cents / 100.0, quote).argmax(axis=1)
    recommended = fine_cents[rows, pick].astype(np.int64)
    # log-odds a + b log r = logit(q)  <=>  r = exp((logit(q) - a) / b)
    target = np.log(policy.stretch_win_prob / (1 - policy.stretch_win_prob))
    at_target = np.floor(np.round(np.exp((target - a) / b) * 100, 6))
    stretch = np.clip(at_target, recommended, quote.high).astype(np.int64)
    return {"recommended": recommended, "floor": quote.low, "stretch": stretch}


def _result(
    trained: registry.TrainedModel,
    requests: pd.DataFrame,
    a: np.ndarray,
    b: np.ndarray,
    quote: _QuoteNumbers,
    cents: dict[str, np.ndarray],
    policy: PricingPolicy,
) -> pd.DataFrame:
    out = pd.DataFrame(index=requests.index)
    probs = {}
    for key, fact in (("recommended", ""), ("floor", "_floor"), ("stretch", "_stretch")):
        out[f"price.{key}"] = [cents_to_decimal(c) for c in cents[key]]
        probs[key] = expit(a + b * np.log(cents[key] / 100.0))
        out[f"price.win_prob{fact}"] = np.round(probs[key], 4)
    out = out[list(FACTS)]
    out["price.expected_contribution"] = _contribution(out["price.recommended"], quote, probs)
    out["price.cost_per_kg"] = [cents_to_decimal(c) for c in np.round(quote.cost * 100)]
    out["price.market"] = quote.market
    out["price.reason"] = _reasons(requests, quote, cents, policy)
    out["model_version"] = trained.version
    return out


def _contribution(
    recommended: pd.Series, quote: _QuoteNumbers, probs: dict[str, np.ndarray]
) -> list[Decimal]:
    """P(win) x (rate - cost - displacement) x chargeable kg, in Decimal dollars and cents."""
    cent = Decimal("0.01")
    return [
        (Decimal(f"{p:.6f}") * (rate - Decimal(f"{c:.6f}")) * Decimal(f"{kg:.3f}")).quantize(cent)
        for p, rate, c, kg in zip(
            probs["recommended"], recommended, quote.unit_cost, quote.kg, strict=True
        )
    ]


def _reasons(
    requests: pd.DataFrame,
    quote: _QuoteNumbers,
    cents: dict[str, np.ndarray],
    policy: PricingPolicy,
) -> list[str]:
    """One line a rep understands: where the rate sits against the market, and why."""
    load = requests["load_factor"].to_numpy(dtype=float)
    days = requests["days_to_departure"].to_numpy(dtype=float)
    seen = to_float(requests["competitor_best_rate"], "competitor_best_rate") > 0
    reasons = []
    for i, rec in enumerate(cents["recommended"]):
        flight = f"the flight is {load[i]:.0%} full and leaves in {_when(days[i])}"
        if quote.displacement[i] >= 0.005:
            flight += f"; displacement ${quote.displacement[i]:.2f}/kg"
        market = f"{'best competitor' if seen[i] else 'lane market'} ${quote.market[i]:.2f}"
        ratio = rec / 100 / quote.market[i]
        if rec <= cents["floor"][i]:
            head = (
                f"at the floor, cost ${quote.cost[i]:.2f} + displacement "
                f"${quote.displacement[i]:.2f} + margin ${float(policy.min_margin_per_kg):.2f}"
            )
        elif ratio > 1 + NEAR_MARKET:
            head = f"{ratio - 1:.0%} above the market"
        elif ratio >= 1 - NEAR_MARKET:
            head = "priced near the market"
        else:
            head = f"room to undercut ({1 - ratio:.0%} under)"
        reasons.append(f"{head} ({market}): {flight}")
    return reasons


def _when(days: float) -> str:
    if days < 1:
        return f"{max(days * 24, 0):.0f} h"
    return f"{days:.0f} day{'s' if round(days) != 1 else ''}"
