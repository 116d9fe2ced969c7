"""Rates for one shipment on one departure: typed values in, the cargo model's answer out.

The model's features are built by the same functions that build its training frame
(`scoring.frames`), so what it was trained on is what it is served.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from flask import current_app
from sqlalchemy import select

from models import displacement, price_guidance, registry
from models.errors import InvalidInputError, ModelError, UnknownLaneError

from ..demo import cargo as demo_cargo
from ..extensions import db
from ..scoring import frames
from ..scoring.facts import load_facts
from ..scoring.store import model_store
from ..tables import Customer, Flight, Lane
from ..tables.cargo import chargeable_kg
from .competitors import Observation
from .facts import DISPLACEMENT, transit_diff_hours

#: A typical shipment and buyer for a lane's price when no customer is asking.
TYPICAL_KG = 1000
TYPICAL_SHARE = 0.1


class PricingRefused(ValueError):
    """The model cannot price this request; `field` names what is wrong."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


@dataclass(frozen=True)
class Shipment:
    weight_kg: int
    volume_m3: Decimal = Decimal("0.000")

    @property
    def chargeable_kg(self) -> int:
        return chargeable_kg(self.weight_kg, self.volume_m3)


@dataclass(frozen=True)
class Buyer:
    """The shipper as the model sees it: tier and share of wallet."""

    tier: str
    share_of_wallet: float

    @classmethod
    def of(cls, customer: Customer, at: datetime) -> Buyer:
        """Share of wallet counted exactly as the training frame counts it (strictly before AT)."""
        when = pd.Series([frames.to_naive_utc(at)])
        share = float(frames.share_of_wallet(pd.Series([customer.id]), when)[0])
        return cls(customer.tier.value, share)


@dataclass(frozen=True)
class Market:
    """What the best competitor seen on the lane offers (both None when none is seen)."""

    best_rate: Decimal | None = None
    transit_diff_hours: float | None = None

    @classmethod
    def seen(cls, options: list[Observation], flight: Flight) -> Market:
        best = options[0] if options else None
        return cls(best.rate if best else None, transit_diff_hours(best, flight))


@dataclass(frozen=True)
class Pricing:
    """The model's rates for one request and the displacement cost they were priced against."""

    rates: price_guidance.Rates
    displacement: Decimal

    @property
    def recommended(self) -> Decimal:
        return self.rates.recommended

    @property
    def floor(self) -> Decimal:
        return self.rates.floor

    @property
    def reason(self) -> str:
        return self.rates.reason

    @property
    def model_version(self) -> str:
        return self.rates.model_version

    def facts(self) -> dict[str, Any]:
        """The price.* facts and the displacement cost, keyed by fact name."""
        return {**self.rates.facts(), DISPLACEMENT: self.displacement}


def features(
    buyer: Buyer, flight: Flight, shipment: Shipment, market: Market, now: datetime
) -> dict[str, Any]:
    """The model's request row, column for column as `frames.quotes()` builds it for training."""
    return {
        "customer_tier": buyer.tier,
        "share_of_wallet": buyer.share_of_wallet,
        "lane": flight.lane.code,
        "weight_kg": float(shipment.weight_kg),
        "volume_m3": float(shipment.volume_m3),
        "days_to_departure": frames.days_between(now, flight.departs_at),
        "load_factor": flight.load_factor,
        "competitor_best_rate": _float(market.best_rate),
        "transit_diff_hours": market.transit_diff_hours,
    }


def price(
    buyer: Buyer, flight: Flight, shipment: Shipment, market: Market, now: datetime
) -> Pricing:
    """Recommended, floor and stretch rates with their win chances for one shipment."""
    if flight.departs_at <= now:
        raise PricingRefused("flight", f"flight {flight.number} has already departed")
    if shipment.weight_kg <= 0 and shipment.volume_m3 <= 0:
        raise PricingRefused("weight_kg", "a quote needs a positive weight or volume")
    model = model_store().get("cargo_pricing")
    cost = _displacement(model, flight, now)
    row = features(buyer, flight, shipment, market, now) | {"displacement_cost": cost}
    try:
        rates = price_guidance.recommend(model, row, pricing_policy())
    except UnknownLaneError as error:
        raise PricingRefused("lane", str(error)) from None
    except InvalidInputError as error:
        raise PricingRefused("request", str(error)) from None
    return Pricing(rates, cost)


def pricing_policy() -> price_guidance.PricingPolicy:
    """The guidance knobs from the config; without configured costs, the demo's lane costs
    (docs/demo-world.md), so a fresh install prices with plausible costs, never with none."""
    costs = current_app.config.get("CARGO_COST_PER_KG") or {
        lane: Decimal(str(cost)) for lane, cost in demo_cargo.LANE_COSTS.items()
    }
    return price_guidance.PricingPolicy(
        lane_costs={k: v for k, v in costs.items() if k != "*"},
        default_cost_per_kg=costs.get("*", Decimal("0.00")),
    )


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _displacement(model: registry.TrainedModel, flight: Flight, now: datetime) -> Decimal:
    """The flight's bid price per kg: stored by the last scoring run, or computed now."""
    stored = load_facts("flight", flight.id).get(DISPLACEMENT)
    if stored and stored.model_version == model.version and stored.value is not None:
        return stored.value
    frame = frames.flights(flight_ids=[flight.id])
    try:
        scored = displacement.score(model, frame, as_of=frames.to_naive_utc(now))
    except UnknownLaneError as error:
        raise PricingRefused("lane", str(error)) from None
    return scored[DISPLACEMENT].iloc[0]


def lane_price(lane: Lane, now: datetime) -> tuple[dict[str, Any], dict[str, str], Flight | None]:
    """Price facts for a typical shipment on the lane's next departure (empty without a model)."""
    flight = db.session.scalar(
        select(Flight)
        .where(Flight.lane_id == lane.id, Flight.departs_at > now)
        .order_by(Flight.departs_at)
        .limit(1)
    )
    if flight is None:
        return {}, {}, None
    buyer = Buyer("standard", TYPICAL_SHARE)
    try:
        answer = price(buyer, flight, Shipment(TYPICAL_KG), Market(), now)
    except (ModelError, PricingRefused):
        return {}, {}, flight
    facts = answer.rates.facts()
    return facts, dict.fromkeys(facts, answer.model_version), flight
