"""The cargo airline: shippers, lanes, flights, quotes, bookings and competitor rates."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .people import User
from .types import Fixed, Money, UTCDateTime, utcnow

#: IATA's volumetric factor: one cubic metre is charged as 166.67 kg (6,000 cm3 per kg).
KG_PER_M3 = Decimal("166.67")


def chargeable_kg(weight_kg: int, volume_m3: Decimal) -> int:
    """The weight charged: actual weight or volumetric weight, whichever is higher."""
    return max(int(weight_kg), int((Decimal(volume_m3) * KG_PER_M3).to_integral_value()))


class CustomerTier(enum.StrEnum):
    KEY = "key"
    LARGE = "large"
    STANDARD = "standard"
    SMALL = "small"


class QuoteOutcome(enum.StrEnum):
    PENDING = "pending"
    WON = "won"
    LOST = "lost"


class LostReason(enum.StrEnum):
    PRICE = "price"
    TRANSIT_TIME = "transit_time"
    CAPACITY = "capacity"
    RELATIONSHIP = "relationship"
    OTHER = "other"


class Customer(db.Model):
    """A shipper (or its forwarder) that buys capacity from us and from others."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    tier: Mapped[CustomerTier] = mapped_column(Enum(CustomerTier, native_enum=False, length=16))
    #: What the shipper spends on air cargo a year with all carriers (for share of wallet).
    est_annual_spend: Mapped[Decimal] = mapped_column(Money())
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)

    rep: Mapped[User | None] = relationship()


class Lane(db.Model):
    """An origin-destination market, e.g. HKG-FRA."""

    __tablename__ = "lanes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    origin: Mapped[str] = mapped_column(String(3))
    destination: Mapped[str] = mapped_column(String(3))
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)

    rep: Mapped[User | None] = relationship()


class Flight(db.Model):
    __tablename__ = "flights"
    __table_args__ = (UniqueConstraint("number", "departs_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(10))
    lane_id: Mapped[int] = mapped_column(ForeignKey("lanes.id"), index=True)
    departs_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    arrives_at: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity_kg: Mapped[int]
    capacity_m3: Mapped[Decimal] = mapped_column(Fixed(3))
    booked_kg: Mapped[int] = mapped_column(default=0)
    booked_m3: Mapped[Decimal] = mapped_column(Fixed(3), default=Decimal(0))

    lane: Mapped[Lane] = relationship()

    @property
    def lane_code(self) -> str:
        return self.lane.code

    @property
    def load_factor(self) -> float:
        return self.booked_kg / self.capacity_kg if self.capacity_kg else 1.0


class Quote(db.Model):
    """A price given to a customer for a shipment, and how it ended."""

    __tablename__ = "quotes"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The sender's id for this quote (API and imports use it to stay idempotent).
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    lane_id: Mapped[int] = mapped_column(ForeignKey("lanes.id"), index=True)
    flight_id: Mapped[int | None] = mapped_column(ForeignKey("flights.id"), index=True)
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    quoted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    ready_date: Mapped[date]
    weight_kg: Mapped[int]
    volume_m3: Mapped[Decimal] = mapped_column(Fixed(3))
    commodity: Mapped[str] = mapped_column(String(40), default="general")
    rate_per_kg: Mapped[Decimal] = mapped_column(Money())
    outcome: Mapped[QuoteOutcome] = mapped_column(
        Enum(QuoteOutcome, native_enum=False, length=16), default=QuoteOutcome.PENDING
    )
    lost_reason: Mapped[LostReason | None] = mapped_column(
        Enum(LostReason, native_enum=False, length=16)
    )
    #: What the market looked like when the quote was given (for training and metrics).
    competitor_best_rate: Mapped[Decimal | None] = mapped_column(Money())
    transit_diff_hours: Mapped[float | None]  # ours minus the competitor's hours: + is slower
    load_factor_at_quote: Mapped[float | None]
    note: Mapped[str] = mapped_column(Text, default="")
    special_handling: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The guidance the rep saw (rates as strings, win chances, rule cards, model version):
    #: recorded with the outcome so metrics and the next training run can use it.
    guidance: Mapped[dict | None] = mapped_column(JSON)
    #: The rate the deal closed at when it differs from the quoted one.
    won_rate_per_kg: Mapped[Decimal | None] = mapped_column(Money())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    customer: Mapped[Customer] = relationship()
    lane: Mapped[Lane] = relationship()
    flight: Mapped[Flight | None] = relationship()

    @property
    def chargeable_kg(self) -> int:
        return chargeable_kg(self.weight_kg, self.volume_m3)

    @property
    def total(self) -> Decimal:
        """Rate times chargeable weight, exact to the cent."""
        return self.rate_per_kg * self.chargeable_kg


class Booking(db.Model):
    """Capacity sold on a flight."""

    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The sender's id (API and imports): the same booking twice is stored once.
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    flight_id: Mapped[int] = mapped_column(ForeignKey("flights.id"), index=True)
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id"))
    #: Indexed: every quote's share of wallet asks when the booking history starts.
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    weight_kg: Mapped[int]
    volume_m3: Mapped[Decimal] = mapped_column(Fixed(3))
    rate_per_kg: Mapped[Decimal] = mapped_column(Money())

    customer: Mapped[Customer] = relationship()
    flight: Mapped[Flight] = relationship()


class CompetitorOffer(db.Model):
    """A rate another carrier was seen offering on a lane."""

    __tablename__ = "competitor_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    carrier: Mapped[str] = mapped_column(String(40))
    lane_id: Mapped[int] = mapped_column(ForeignKey("lanes.id"), index=True)
    observed_on: Mapped[date] = mapped_column(index=True)
    #: Always US dollars; an observation in another currency is converted on the way in.
    rate_per_kg: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    #: The rate as observed, in `currency`, and the US dollars per unit used to convert it.
    local_rate_per_kg: Mapped[Decimal | None] = mapped_column(Money())
    usd_per_unit: Mapped[Decimal | None] = mapped_column(Fixed(6))
    transit_hours: Mapped[int]

    lane: Mapped[Lane] = relationship()
