"""Price guidance for one quote request: the numbers the rep screen shows, as facts."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
from flask import current_app

from models import displacement, price_guidance, registry
from models.errors import InvalidInputError, UnknownLaneError

from ..demo import cargo as demo_cargo
from ..extensions import db
from ..scoring import frames
from ..scoring.facts import load_facts
from ..scoring.store import model_store
from ..tables import Customer, Flight, utcnow

DISPLACEMENT = displacement.FACT


class GuidanceInputError(ValueError):
    """A quote request field is missing or wrong; `field` names it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


def quote_guidance(request: Mapping[str, Any], as_of: datetime | None = None) -> dict[str, Any]:
    """Recommended, floor and stretch rates and win chances for one quote request.

    REQUEST holds `weight_kg` (and optionally `volume_m3`), `customer_id` or
    `customer_tier` (+ `share_of_wallet`), `flight_id` or `lane` + `days_to_departure` +
    `load_factor`, and optionally `competitor_best_rate` and `transit_diff_hours`. Values
    given in the request win over the ones read from the database.
    """
    now = as_of or utcnow()
    model = model_store().get("cargo_pricing")
    row = _request_row(request, now)
    row["displacement_cost"] = _displacement(model, request, row, now)
    try:
        result = price_guidance.guidance(model, row, pricing_policy())
    except UnknownLaneError as error:
        raise GuidanceInputError("lane", str(error)) from None
    except InvalidInputError as error:
        raise GuidanceInputError("request", str(error)) from None
    return {
        **result.facts(),
        "price.expected_contribution": result.expected_contribution,
        "price.reason": result.reason,
        "price.cost_per_kg": result.cost_per_kg,
        DISPLACEMENT: row["displacement_cost"],
        "model_version": result.model_version,
    }


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


def _request_row(request: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    weight = _number(request, "weight_kg", required=True)
    volume = _number(request, "volume_m3") or 0.0
    if weight == 0 and volume == 0:
        raise GuidanceInputError("weight_kg", "a quote needs a positive weight or volume")
    row = {
        "weight_kg": weight,
        "volume_m3": volume,
        "competitor_best_rate": _number(request, "competitor_best_rate"),
        "transit_diff_hours": _number(request, "transit_diff_hours", minimum=None),
    }
    row.update(_customer_part(request, now))
    row.update(_flight_part(request, now))
    return row


def _customer_part(request: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    customer = _row(Customer, request, "customer_id")
    if customer is None and not request.get("customer_tier"):
        raise GuidanceInputError("customer_id", "give a customer_id or a customer_tier")
    tier = request.get("customer_tier") or customer.tier.value
    share = _number(request, "share_of_wallet")
    if share is None and customer is not None:
        at = pd.Series([frames.to_naive_utc(now)])
        share = float(frames.share_of_wallet(pd.Series([customer.id]), at)[0])
    return {"customer_tier": str(tier), "share_of_wallet": share or 0.0}


def _flight_part(request: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    flight = _row(Flight, request, "flight_id")
    lane = request.get("lane") or (flight.lane.code if flight else None)
    if not lane:
        raise GuidanceInputError("lane", "give a lane or a flight_id")
    if flight is not None and flight.lane.code != lane:
        raise GuidanceInputError("lane", f"{lane} is not the lane of flight {flight.number}")
    if flight is not None and flight.departs_at <= now:
        raise GuidanceInputError("flight_id", f"flight {flight.number} has already departed")
    days = _number(request, "days_to_departure")
    if days is None and flight is not None:
        days = (flight.departs_at - now).total_seconds() / 86400
    load = _number(request, "load_factor")
    if load is None and flight is not None:
        load = flight.load_factor
    for name, value in (("days_to_departure", days), ("load_factor", load)):
        if value is None:
            raise GuidanceInputError(name, "give it, or a flight_id to read it from")
    return {"lane": str(lane), "days_to_departure": days, "load_factor": load, "_flight": flight}


def _displacement(
    model: registry.TrainedModel, request: Mapping[str, Any], row: dict, now: datetime
) -> Decimal:
    """The flight's bid price per kg: given, stored by the last scoring run, or computed now."""
    flight = row.pop("_flight")
    given = _number(request, "displacement_cost")
    if given is not None:
        return Decimal(str(given))
    if flight is None:
        return Decimal("0.00")  # no flight chosen yet: no capacity is being displaced
    stored = load_facts("flight", flight.id).get(DISPLACEMENT)
    if stored and stored.model_version == model.version and stored.value is not None:
        return stored.value
    frame = frames.flights(flight_ids=[flight.id])
    try:
        scored = displacement.score(model, frame, as_of=frames.to_naive_utc(now))
    except UnknownLaneError as error:
        raise GuidanceInputError("lane", str(error)) from None
    return scored[DISPLACEMENT].iloc[0]


def _row(table: Any, request: Mapping[str, Any], key: str) -> Any:
    if request.get(key) in (None, ""):
        return None
    try:
        found = db.session.get(table, int(request[key]))
    except (TypeError, ValueError):
        raise GuidanceInputError(key, f"must be a whole number, not {request[key]!r}") from None
    if found is None:
        raise GuidanceInputError(key, f"no such {table.__tablename__[:-1]}: {request[key]}")
    return found


def _number(
    request: Mapping[str, Any], key: str, *, required: bool = False, minimum: float | None = 0.0
) -> float | None:
    """A numeric field as float (None when absent), refusing text, NaN and values < MINIMUM."""
    value = request.get(key)
    if value is None or value == "":
        if required:
            raise GuidanceInputError(key, "is required")
        return None
    try:
        number = float(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        raise GuidanceInputError(key, f"must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise GuidanceInputError(key, f"must be a finite number, not {value!r}")
    if minimum is not None and number < minimum:
        raise GuidanceInputError(key, f"must not be negative, got {value}")
    return number
