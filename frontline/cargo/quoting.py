"""Quote guidance: a short request in, flight options, rates, competitors and rule cards out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

import guidance_rules
from models import cargo_features
from models.errors import ModelError

from ..extensions import db
from ..guidance.packs import published_pack
from ..tables import Customer, Flight, Lane
from ..tables.cargo import chargeable_kg
from . import outlook
from .capacity import FlightRow, flight_row
from .pricing import GuidanceInputError, quote_guidance

MAX_WEIGHT_KG = 100_000  # more than the largest freighter's payload is a typo
MAX_VOLUME_M3 = 700
READY_WITHIN_DAYS = 60
OPTIONS_DAYS = 5
MAX_OPTIONS = 3
CENT = Decimal("0.01")
SPECIAL_HANDLING = {
    "dgr": "Dangerous goods",
    "perishable": "Perishable",
    "pharma": "Pharma (temperature-controlled)",
    "valuables": "Valuables",
    "live_animals": "Live animals",
    "oversize": "Oversize",
}


class RequestInvalid(ValueError):
    """The request has bad fields; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class QuoteRequest:
    customer: Customer
    lane: Lane
    ready_date: date
    weight_kg: int
    volume_m3: Decimal
    commodity: str
    special_handling: tuple[str, ...]
    flight_id: int | None = None
    rate: Decimal | None = None

    @property
    def chargeable_kg(self) -> int:
        return chargeable_kg(self.weight_kg, self.volume_m3)


def parse_request(form: Mapping[str, Any], today: date) -> QuoteRequest:
    """Every field checked; all problems reported together."""
    errors: dict[str, str] = {}
    values = {
        "customer": _lookup(Customer, Customer.code, form.get("customer", ""), "customer", errors),
        "lane": _lookup(Lane, Lane.code, form.get("lane", ""), "lane", errors),
        "ready_date": _ready_date(form.get("ready_date", ""), today, errors),
        "weight_kg": _weight(form.get("weight_kg", ""), errors),
        "volume_m3": _volume(form.get("volume_m3", ""), errors),
        "commodity": (form.get("commodity") or "general").strip()[:40] or "general",
        "special_handling": _handling(form, errors),
        "flight_id": _optional_int(form.get("flight_id", ""), "flight_id", errors),
        "rate": _rate(form.get("rate", ""), errors),
    }
    if errors:
        raise RequestInvalid(errors)
    return QuoteRequest(**values)


def _lookup(table, column, code: str, what: str, errors: dict) -> Any:
    code = (code or "").strip()
    if not code:
        errors[what] = f"choose a {what}"
        return None
    found = db.session.scalar(select(table).where(column == code.upper()))
    if found is None:
        errors[what] = f"unknown {what} {code!r}"
    return found


def _ready_date(text: str, today: date, errors: dict) -> date | None:
    try:
        ready = date.fromisoformat((text or "").strip())
    except ValueError:
        errors["ready_date"] = "give the date the cargo is ready, like 2026-11-23"
        return None
    if ready < today:
        errors["ready_date"] = f"{ready:%d %b %Y} is in the past"
    elif ready > today + timedelta(days=READY_WITHIN_DAYS):
        errors["ready_date"] = f"more than {READY_WITHIN_DAYS} days ahead; quote nearer the time"
    return ready


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal((text or "").strip().replace(",", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _weight(text: str, errors: dict) -> int | None:
    value = _decimal(text)
    if value is None or value != value.to_integral_value():
        errors["weight_kg"] = "give the weight in whole kilograms"
    elif value <= 0:
        errors["weight_kg"] = "the weight must be more than 0 kg"
    elif value > MAX_WEIGHT_KG:
        errors["weight_kg"] = f"{value:,} kg is more than any flight carries ({MAX_WEIGHT_KG:,})"
    else:
        return int(value)
    return None


def _volume(text: str, errors: dict) -> Decimal:
    if not (text or "").strip():
        return Decimal("0.000")
    value = _decimal(text)
    if value is None or value != value.quantize(Decimal("0.001")):
        errors["volume_m3"] = "give the volume in cubic metres, at most 3 decimals"
    elif value < 0:
        errors["volume_m3"] = "the volume cannot be negative"
    elif value > MAX_VOLUME_M3:
        errors["volume_m3"] = f"{value} m³ is more than any flight carries ({MAX_VOLUME_M3})"
    else:
        return value.quantize(Decimal("0.001"))
    return Decimal(0)


def _handling(form: Mapping[str, Any], errors: dict) -> tuple[str, ...]:
    getter = getattr(form, "getlist", None)
    chosen = getter("special_handling") if getter else form.get("special_handling") or []
    unknown = [c for c in chosen if c not in SPECIAL_HANDLING]
    if unknown:
        errors["special_handling"] = f"unknown handling code {unknown[0]!r}"
    return tuple(c for c in SPECIAL_HANDLING if c in chosen)


def _optional_int(text: str, name: str, errors: dict) -> int | None:
    if not str(text or "").strip():
        return None
    try:
        return int(text)
    except ValueError:
        errors[name] = "must be a whole number"
        return None


def _rate(text: str, errors: dict) -> Decimal | None:
    if not (text or "").strip():
        return None
    value = _decimal(str(text).removeprefix("$"))
    if value is None or value != value.quantize(CENT):
        errors["rate"] = "give the rate in dollars per kg, like 2.35"
    elif not Decimal("0.01") <= value <= Decimal("100"):
        errors["rate"] = "the rate must be between $0.01 and $100.00 per kg"
    else:
        return value
    return None


# -- the answer -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownCard:
    card: guidance_rules.Card
    why: str


@dataclass
class Guidance:
    """Everything the quote screen shows; money is exact Decimal."""

    request: QuoteRequest
    options: list[FlightRow]
    chosen: FlightRow | None = None
    prices: dict[str, Any] = field(default_factory=dict)
    competitors: list[outlook.Observation] = field(default_factory=list)
    cards: list[ShownCard] = field(default_factory=list)
    problem: str = ""
    model_version: str = ""
    reason: str = ""

    @property
    def rate(self) -> Decimal | None:
        return self.request.rate or self.prices.get("price.recommended")

    def total(self, rate: Decimal | None) -> Decimal | None:
        return None if rate is None else (rate * self.request.chargeable_kg).quantize(CENT)

    @property
    def below_floor(self) -> bool:
        floor = self.prices.get("price.floor")
        return bool(self.rate is not None and floor is not None and self.rate < floor)

    def snapshot(self) -> dict[str, Any]:
        """The guidance as shown, for the quote row (money as exact strings)."""
        keep = {k: v for k, v in self.prices.items() if k.startswith("price.")}
        return {
            "prices": {k: str(v) if isinstance(v, Decimal) else v for k, v in keep.items()},
            "flight": self.chosen.flight.number if self.chosen else None,
            "competitors": [
                {
                    "carrier": o.carrier,
                    "rate": str(o.rate),
                    "observed_on": o.observed_on.isoformat(),
                }
                for o in self.competitors
            ],
            "cards": [c.card.rule_id for c in self.cards],
            "pack": _pack_version(),
            "model_version": self.model_version,
        }


def _pack_version() -> str:
    pack = published_pack("rep")
    return f"{pack.id} {pack.version}"


def flight_options(request: QuoteRequest, now: datetime) -> list[FlightRow]:
    """The first departures from the ready date with room for the shipment."""
    start = max(now, datetime.combine(request.ready_date, datetime.min.time(), tzinfo=UTC))
    query = (
        select(Flight)
        .join(Flight.lane)
        .options(contains_eager(Flight.lane))
        .where(
            Flight.lane_id == request.lane.id,
            Flight.departs_at > start,
            Flight.departs_at <= start + timedelta(days=OPTIONS_DAYS),
        )
        .order_by(Flight.departs_at)
    )
    rows = [flight_row(f, None) for f in db.session.scalars(query)]
    fits = [r for r in rows if _fits(r, request)]
    return fits[:MAX_OPTIONS]


def _fits(row: FlightRow, request: QuoteRequest) -> bool:
    return row.remaining_kg >= request.weight_kg and row.remaining_m3 >= request.volume_m3


def guide(request: QuoteRequest, now: datetime) -> Guidance:
    """Options, prices from the cargo model, competitors and the rep pack's cards."""
    result = Guidance(request, flight_options(request, now))
    result.competitors = outlook.competitor_options(request.lane.id, now.date())
    if not result.options:
        result.problem = (
            f"No departure on {request.lane.code} in the {OPTIONS_DAYS} days from "
            f"{request.ready_date:%d %b} has room for {request.chargeable_kg:,} kg."
        )
        return result
    result.chosen = _chosen(result.options, request.flight_id)
    wallet = outlook.wallets([request.customer], now)[request.customer.id]
    try:
        _price(result, now)
    except (ModelError, GuidanceInputError) as error:
        result.problem = f"No price guidance: {error}"
        return result
    result.cards = _cards(result, wallet, now)
    return result


def _chosen(options: list[FlightRow], flight_id: int | None) -> FlightRow:
    return next((r for r in options if r.flight.id == flight_id), options[0])


def pricing_request(result: Guidance) -> dict[str, Any]:
    """What the model is asked for the chosen flight: the same features a stored quote trains
    on (share of wallet is computed by the pricing service, as in training)."""
    flight = result.chosen.flight
    best = result.competitors[0] if result.competitors else None
    return {
        "weight_kg": result.request.weight_kg,
        "volume_m3": result.request.volume_m3,
        "customer_id": result.request.customer.id,
        "flight_id": flight.id,
        "competitor_best_rate": best.rate if best else None,
        "transit_diff_hours": _transit_diff(best, flight),
    }


def _price(result: Guidance, now: datetime) -> None:
    flight = result.chosen.flight
    answer = quote_guidance(pricing_request(result), as_of=now)
    result.model_version = answer.pop("model_version")
    result.reason = answer.pop("price.reason")
    result.prices = answer
    result.chosen = flight_row(flight, answer.get(outlook.DISPLACEMENT))


def _transit_diff(best: outlook.Observation | None, flight: Flight) -> float | None:
    """Ours minus the competitor's hours, as the win model was trained (positive: slower)."""
    theirs = best.transit_hours if best else None
    return cargo_features.transit_diff_hours(outlook.block_hours(flight), theirs)


def situation(result: Guidance, wallet: outlook.Wallet, now: datetime) -> dict[str, Any]:
    """Every fact about this quote, for the rep pack."""
    request, flight = result.request, result.chosen.flight
    facts = outlook.customer_facts(request.customer, wallet, now)
    facts |= outlook.flight_facts(flight, now, result.prices.get(outlook.DISPLACEMENT))
    prices = {k: v for k, v in result.prices.items() if k in published_pack("rep").vocabulary}
    facts |= prices
    facts |= outlook.competitor_facts(
        result.competitors, outlook.block_hours(flight), result.prices.get("price.recommended")
    )
    return facts | {
        "quote.weight_kg": request.weight_kg,
        "quote.volume_m3": float(request.volume_m3),
        "quote.chargeable_kg": request.chargeable_kg,
        "quote.rate": result.rate,
        "quote.total": result.total(result.rate),
        "quote.commodity": request.commodity,
        "quote.special_handling": list(request.special_handling),
    }


def _cards(result: Guidance, wallet: outlook.Wallet, now: datetime) -> list[ShownCard]:
    pack = published_pack("rep")
    cards = guidance_rules.evaluate(pack, situation(result, wallet, now))
    return [ShownCard(card, pack.rule(card.rule_id).description) for card in cards]
