"""Price guidance per quote: recommended, floor and stretch rates, and the win chance at each.

Expected contribution EC(r) = P(win | r) x (r - displacement cost) x chargeable kg.
- recommended: the rate (whole cents) that maximises EC;
- floor: the highest of (displacement + minimum margin), the lane minimum (5th percentile
  of won rates), and the lowest rate still earning `floor_share` of the best EC. Below it
  a rep needs approval;
- stretch: the highest rate still earning `stretch_share` of the best EC: where to open.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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
BISECT_STEPS = 24


@dataclass(frozen=True)
class PricingPolicy:
    """Business knobs of the guidance; defaults are documented in docs/models.md."""

    min_margin_per_kg: Decimal = Decimal("0.05")
    floor_share: float = 0.75
    stretch_share: float = 0.90
    max_rate_multiple: float = 3.0
    lane_minimums: Mapping[str, Decimal] | None = None


@dataclass(frozen=True)
class PriceGuidance:
    """Guidance for one quote; money is Decimal per kg (contribution in total dollars)."""

    recommended: Decimal
    floor: Decimal
    stretch: Decimal
    win_prob: float
    win_prob_floor: float
    win_prob_stretch: float
    expected_contribution: Decimal
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


def guidance(
    trained: registry.TrainedModel,
    request: Mapping[str, Any],
    policy: PricingPolicy | None = None,
) -> PriceGuidance:
    """Guidance for one quote request (a mapping with the request columns)."""
    row = guidance_batch(trained, pd.DataFrame([dict(request)]), policy).iloc[0]
    return PriceGuidance(
        recommended=row["price.recommended"],
        floor=row["price.floor"],
        stretch=row["price.stretch"],
        win_prob=float(row["price.win_prob"]),
        win_prob_floor=float(row["price.win_prob_floor"]),
        win_prob_stretch=float(row["price.win_prob_stretch"]),
        expected_contribution=row["price.expected_contribution"],
        reason=row["price.reason"],
        model_version=trained.version,
    )


def guidance_batch(
    trained: registry.TrainedModel,
    requests: pd.DataFrame,
    policy: PricingPolicy | None = None,
) -> pd.DataFrame:
    """Guidance for many quotes: fact columns, price.expected_contribution, price.reason."""
    policy = policy or PricingPolicy()
    require_columns(requests, REQUEST_COLUMNS, "quote requests")
    requests = requests.reset_index(drop=True)
    a, b = price_response(trained.pipeline, requests)
    quote = _QuoteNumbers.of(trained, requests, policy)
    cents = _search(a, b, quote, policy)
    return _result(trained, requests.index, a, b, quote, cents, policy)


@dataclass
class _QuoteNumbers:
    cost: np.ndarray  # displacement per kg, dollars
    kg: np.ndarray
    low: np.ndarray  # hard minimum rate, whole cents
    high: np.ndarray  # top of the search, whole cents
    lane_min: np.ndarray  # dollars

    @classmethod
    def of(
        cls, trained: registry.TrainedModel, requests: pd.DataFrame, policy: PricingPolicy
    ) -> _QuoteNumbers:
        features = trained.pipeline.named_steps["quote"]
        lane = features.lane_index(requests["lane"])
        cost = to_float(requests["displacement_cost"], "displacement_cost")
        if np.isnan(cost).any() or (cost < 0).any():
            raise InvalidInputError("displacement_cost must be present and not negative")
        kg = chargeable_kg(requests)
        if not (kg > 0).all():
            raise InvalidInputError("a quote needs a positive weight or volume")
        lane_min = _lane_minimums(features, lane, requests["lane"], policy)
        margin = float(policy.min_margin_per_kg)
        low = np.ceil(np.round(np.maximum(cost + margin, lane_min) * 100, 6)).astype(np.int64)
        comp = np.nan_to_num(to_float(requests["competitor_best_rate"], "competitor_best_rate"))
        top = policy.max_rate_multiple * np.maximum.reduce(
            [features.lane_ref_rate_[lane], comp, cost]
        )
        high = np.maximum(np.floor(top * 100).astype(np.int64), low + 2)
        return cls(cost=cost, kg=kg, low=low, high=high, lane_min=lane_min)


def _lane_minimums(
    features: Any, lane: np.ndarray, names: pd.Series, policy: PricingPolicy
) -> np.ndarray:
    learned = features.lane_min_rate_[lane].astype(float)
    if not policy.lane_minimums:
        return learned
    given = names.astype(str).map({k: float(v) for k, v in policy.lane_minimums.items()})
    return np.where(given.isna(), learned, given.to_numpy(dtype=float))


def _ec(a: np.ndarray, b: np.ndarray, rate: np.ndarray, quote: _QuoteNumbers) -> np.ndarray:
    """Expected contribution per kg-weighted quote at RATE (dollars per kg), broadcasting."""
    if rate.ndim == 2:
        return expit(a[:, None] + b[:, None] * np.log(rate)) * (rate - quote.cost[:, None])
    return expit(a + b * np.log(rate)) * (rate - quote.cost)


def _search(
    a: np.ndarray, b: np.ndarray, quote: _QuoteNumbers, policy: PricingPolicy
) -> dict[str, np.ndarray]:
    """Whole-cent recommended, floor and stretch rates for every quote at once."""
    steps = np.linspace(0.0, 1.0, GRID)
    lo, hi = quote.low / 100.0, quote.high / 100.0
    grid = lo[:, None] * (hi / lo)[:, None] ** steps  # geometric: finer where rates are low
    ec = _ec(a, b, grid, quote)
    best = ec.argmax(axis=1)
    rows = np.arange(len(a))
    left = grid[rows, np.maximum(best - 1, 0)]
    right = grid[rows, np.minimum(best + 1, GRID - 1)]
    fine = left[:, None] + (right - left)[:, None] * np.linspace(0.0, 1.0, 64)
    fine_cents = np.clip(np.round(fine * 100), quote.low[:, None], quote.high[:, None])
    pick = _ec(a, b, fine_cents / 100.0, quote).argmax(axis=1)
    recommended = fine_cents[rows, pick].astype(np.int64)
    best_ec = _ec(a, b, recommended / 100.0, quote)
    floor = _edge(a, b, quote, grid, ec, best, best_ec * policy.floor_share, below=True)
    stretch = _edge(a, b, quote, grid, ec, best, best_ec * policy.stretch_share, below=False)
    floor = np.clip(np.ceil(np.round(floor * 100, 6)), quote.low, recommended).astype(np.int64)
    stretch = np.maximum(np.floor(np.round(stretch * 100, 6)), recommended).astype(np.int64)
    return {"recommended": recommended, "floor": floor, "stretch": stretch}


def _edge(
    a: np.ndarray,
    b: np.ndarray,
    quote: _QuoteNumbers,
    grid: np.ndarray,
    ec: np.ndarray,
    best: np.ndarray,
    target: np.ndarray,
    *,
    below: bool,
) -> np.ndarray:
    """Rate furthest from the optimum (below or above) whose EC still reaches TARGET."""
    cols = np.arange(grid.shape[1])[None, :]
    side = cols <= best[:, None] if below else cols >= best[:, None]
    ok = (ec >= target[:, None]) & side
    rows = np.arange(len(a))
    idx = ok.argmax(axis=1) if below else grid.shape[1] - 1 - ok[:, ::-1].argmax(axis=1)
    outer = np.clip(idx - 1 if below else idx + 1, 0, grid.shape[1] - 1)
    inside, outside = grid[rows, idx], grid[rows, outer]
    for _ in range(BISECT_STEPS):  # EC is monotone between the two points: bisect
        mid = (inside + outside) / 2
        good = _ec(a, b, mid, quote) >= target
        inside, outside = np.where(good, mid, inside), np.where(good, outside, mid)
    return inside


def _result(
    trained: registry.TrainedModel,
    index: pd.Index,
    a: np.ndarray,
    b: np.ndarray,
    quote: _QuoteNumbers,
    cents: dict[str, np.ndarray],
    policy: PricingPolicy,
) -> pd.DataFrame:
    out = pd.DataFrame(index=index)
    probs = {}
    for key, fact in (("recommended", ""), ("floor", "_floor"), ("stretch", "_stretch")):
        out[f"price.{key}"] = [cents_to_decimal(c) for c in cents[key]]
        probs[key] = expit(a + b * np.log(cents[key] / 100.0))
        out[f"price.win_prob{fact}"] = np.round(probs[key], 4)
    out = out[list(FACTS)]
    out["price.expected_contribution"] = _contribution(out["price.recommended"], quote, probs)
    out["price.reason"] = _reasons(out, quote, cents, policy)
    out["model_version"] = trained.version
    return out


def _contribution(
    recommended: pd.Series, quote: _QuoteNumbers, probs: dict[str, np.ndarray]
) -> list[Decimal]:
    """P(win) x (rate - displacement) x chargeable kg, in Decimal dollars and cents."""
    cent = Decimal("0.01")
    return [
        (Decimal(f"{p:.6f}") * (rate - Decimal(f"{c:.6f}")) * Decimal(f"{kg:.3f}")).quantize(cent)
        for p, rate, c, kg in zip(
            probs["recommended"], recommended, quote.cost, quote.kg, strict=True
        )
    ]


def _reasons(
    out: pd.DataFrame, quote: _QuoteNumbers, cents: dict[str, np.ndarray], policy: PricingPolicy
) -> list[str]:
    margin_cents = np.ceil(np.round((quote.cost + float(policy.min_margin_per_kg)) * 100, 6))
    lane_cents = np.ceil(np.round(quote.lane_min * 100, 6))
    reasons = []
    for i, (rec, p, floor) in enumerate(
        zip(out["price.recommended"], out["price.win_prob"], out["price.floor"], strict=True)
    ):
        if cents["floor"][i] <= margin_cents[i]:
            why = "displacement cost plus minimum margin"
        elif cents["floor"][i] <= lane_cents[i]:
            why = "lane minimum"
        else:
            why = f"{policy.floor_share:.0%} of best expected contribution"
        reasons.append(
            f"{rec}/kg maximises expected contribution (win {p:.0%}); "
            f"floor {floor} set by {why}; displacement {quote.cost[i]:.2f}/kg"
        )
    return reasons
