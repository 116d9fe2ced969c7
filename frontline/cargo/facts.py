"""The named facts the rep pack reads about shippers, departures, competitors and lanes.

Each fact is computed here once; pricing, the quote screen, deals and the outlook refresh
all read these functions.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from models import cargo_features
from models.displacement import FACT as DISPLACEMENT

from ..tables import Customer, Flight
from .competitors import Observation
from .wallets import Wallet

__all__ = [
    "DISPLACEMENT",
    "block_hours",
    "competitor_facts",
    "customer_facts",
    "flight_facts",
    "transit_diff_hours",
]


def customer_facts(customer: Customer, wallet: Wallet, now: datetime) -> dict[str, Any]:
    """The facts the rep pack reads about a shipper."""
    facts: dict[str, Any] = {
        "now": now,
        "customer.id": customer.code,
        "customer.name": customer.name,
        "customer.tier": customer.tier.value,
        "customer.share_of_wallet": wallet.share,
        "customer.sow_trend": wallet.trend,
        "customer.annual_revenue": wallet.revenue_12m,
        "customer.usual_booking_interval_days": wallet.usual_interval_days,
    }
    if wallet.last_booking_at is not None:
        facts["customer.days_since_last_booking"] = (now - wallet.last_booking_at).days
    return facts


def flight_facts(flight: Flight, now: datetime, displacement: Decimal | None) -> dict[str, Any]:
    """The facts the rep pack reads about a departure."""
    return {
        "now": now,
        "lane.code": flight.lane.code,
        "flight.number": flight.number,
        "flight.departure": flight.departs_at,
        "flight.days_to_departure": round((flight.departs_at - now).total_seconds() / 86400, 2),
        "flight.load_factor": flight.load_factor,
        "flight.volume_load_factor": _ratio(flight.booked_m3, flight.capacity_m3),
        "flight.remaining_kg": max(flight.capacity_kg - flight.booked_kg, 0),
        DISPLACEMENT: displacement,
    }


def _ratio(part: Decimal, whole: Decimal) -> float:
    return float(part / whole) if whole else 1.0


def block_hours(flight: Flight) -> float:
    """Our scheduled hours from departure to arrival, to a tenth of an hour."""
    return round((flight.arrives_at - flight.departs_at).total_seconds() / 3600, 1)


def transit_diff_hours(best: Observation | None, flight: Flight) -> float | None:
    """Our transit hours minus the best competitor's (positive: we are slower), exactly as the
    win model trains on it (`models.cargo_features`); None when no competitor is seen."""
    return cargo_features.transit_diff_hours(
        block_hours(flight), best.transit_hours if best else None
    )


def competitor_facts(
    options: list[Observation], flight: Flight | None, recommended: Decimal | None
) -> dict[str, Any]:
    """Best competitor rate, carrier, transit difference and undercut; missing when unseen."""
    if not options:
        return {}  # unseen is missing, never zero
    best = options[0]
    facts: dict[str, Any] = {"competitor.best_rate": best.rate, "competitor.carrier": best.carrier}
    if flight is not None:  # the rules' fact reads the other way: the competitor minus us
        facts["competitor.transit_diff_hours"] = -transit_diff_hours(best, flight)
    if recommended:
        facts["competitor.undercut_pct"] = round(float(1 - best.rate / recommended), 4)
    return facts
