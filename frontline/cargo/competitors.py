"""What competitors quote on a lane: each carrier's latest observed rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from ..extensions import db
from ..tables import CompetitorOffer

COMPETITOR_WINDOW_DAYS = 30


@dataclass(frozen=True)
class Observation:
    """One competitor's latest rate on a lane."""

    carrier: str
    rate: Decimal
    transit_hours: int
    observed_on: date
    currency: str
    local_rate: Decimal | None


def competitor_options(lane_id: int, today: date) -> list[Observation]:
    """Each carrier's latest observation on the lane in the last 30 days, cheapest first."""
    query = (
        select(CompetitorOffer)
        .where(
            CompetitorOffer.lane_id == lane_id,
            CompetitorOffer.observed_on > today - timedelta(days=COMPETITOR_WINDOW_DAYS),
            CompetitorOffer.observed_on <= today,
        )
        .order_by(CompetitorOffer.observed_on.desc(), CompetitorOffer.id.desc())
    )
    latest: dict[str, Observation] = {}
    for row in db.session.scalars(query):
        latest.setdefault(row.carrier, _observation(row))
    return sorted(latest.values(), key=lambda o: (o.rate, o.carrier))


def _observation(row: CompetitorOffer) -> Observation:
    return Observation(
        row.carrier,
        row.rate_per_kg,
        row.transit_hours,
        row.observed_on,
        row.currency,
        row.local_rate_per_kg,
    )
