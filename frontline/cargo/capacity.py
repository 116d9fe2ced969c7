"""The capacity board: each departure's booked weight and volume against capacity, banded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from ..extensions import db
from ..scoring.facts import load_facts_many
from ..tables import Flight, Lane

DAYS = 14
DISPLACEMENT = "flight.displacement_cost"
#: Load-factor bands, upper bounds: open below 60%, filling below 85%, tight below 97%.
BANDS = ((0.60, "open"), (0.85, "filling"), (0.97, "tight"))
#: Displacement cost bands in $/kg: what taking a kilo now costs in later demand.
COST_BANDS = ((Decimal("0.10"), "low"), (Decimal("0.60"), "medium"))


def band(load_factor: float) -> str:
    for limit, name in BANDS:
        if load_factor < limit:
            return name
    return "full"


def cost_band(cost: Decimal | None) -> str:
    if cost is None:
        return "unknown"
    for limit, name in COST_BANDS:
        if cost < limit:
            return name
    return "high"


@dataclass(frozen=True, slots=True)
class Departure:
    """A flight as plain values: the board reads hundreds, and ORM objects cost far more."""

    id: int
    number: str
    lane_code: str
    departs_at: datetime
    capacity_kg: int
    booked_kg: int
    capacity_m3: Decimal
    booked_m3: Decimal

    @property
    def load_factor(self) -> float:
        return self.booked_kg / self.capacity_kg if self.capacity_kg else 1.0


@dataclass(frozen=True)
class FlightRow:
    """One departure as the board draws it."""

    flight: Flight | Departure
    weight_lf: float
    volume_lf: float
    displacement: Decimal | None

    @property
    def remaining_kg(self) -> int:
        return max(self.flight.capacity_kg - self.flight.booked_kg, 0)

    @property
    def remaining_m3(self) -> Decimal:
        return max(self.flight.capacity_m3 - self.flight.booked_m3, Decimal(0))

    @property
    def band(self) -> str:
        return band(max(self.weight_lf, self.volume_lf))

    @property
    def weight_pct(self) -> int:
        return round(self.weight_lf * 100)

    @property
    def volume_pct(self) -> int:
        return round(self.volume_lf * 100)

    @property
    def cost_band(self) -> str:
        return cost_band(self.displacement)


def flight_row(flight: Flight | Departure, displacement: Decimal | None) -> FlightRow:
    volume = float(flight.booked_m3 / flight.capacity_m3) if flight.capacity_m3 else 1.0
    return FlightRow(flight, flight.load_factor, volume, displacement)


def board(
    now: datetime, rep_id: int | None, lane_id: int | None = None, day: date | None = None
) -> list[FlightRow]:
    """Departures in the next 14 days on the rep's lanes (or one lane, or one day)."""
    query = (
        select(*DEPARTURE_COLUMNS)
        .join(Flight.lane)
        .where(Flight.departs_at > now, Flight.departs_at <= now + timedelta(days=DAYS))
        .order_by(Flight.departs_at, Flight.number)
    )
    if lane_id is not None:
        query = query.where(Flight.lane_id == lane_id)
    elif rep_id is not None:
        query = query.where(Lane.rep_id == rep_id)
    if day is not None:
        start = datetime(day.year, day.month, day.day, tzinfo=now.tzinfo)
        query = query.where(Flight.departs_at >= start, Flight.departs_at < start + timedelta(1))
    flights = [Departure(*row) for row in db.session.execute(query)]
    costs = load_facts_many("flight", [f.id for f in flights])
    return [flight_row(f, _cost(costs.get(f.id, {}))) for f in flights]


DEPARTURE_COLUMNS = (
    Flight.id,
    Flight.number,
    Lane.code,
    Flight.departs_at,
    Flight.capacity_kg,
    Flight.booked_kg,
    Flight.capacity_m3,
    Flight.booked_m3,
)


def _cost(facts: dict) -> Decimal | None:
    fact = facts.get(DISPLACEMENT)
    return None if fact is None else fact.value


def rep_lanes(rep_id: int) -> list[Lane]:
    """The rep's own lanes first, then every other lane."""
    lanes = db.session.scalars(select(Lane).order_by(Lane.code))
    return sorted(lanes, key=lambda lane: (lane.rep_id != rep_id, lane.code))


def by_day(rows: list[FlightRow]) -> list[tuple[date, list[FlightRow]]]:
    days: dict[date, list[FlightRow]] = {}
    for row in rows:
        days.setdefault(row.flight.departs_at.date(), []).append(row)
    return list(days.items())
