"""The casino resort: zones of the property, guests, their visits and past offers."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Enum,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .people import User
from .types import Money, UTCDateTime, utcnow


class GuestTier(enum.StrEnum):
    MEMBER = "member"
    GOLD = "gold"
    PLATINUM = "platinum"
    DIAMOND = "diamond"
    BLACK = "black"


class OfferType(enum.StrEnum):
    DINING = "dining"
    SHOW = "show"
    FREE_PLAY = "free_play"
    ROOM_UPGRADE = "room_upgrade"
    SPA = "spa"


class Zone(db.Model):
    """A place on the property where a host can find a guest."""

    __tablename__ = "zones"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))  # gaming, dining, hotel, spa, entertainment


class Guest(db.Model):
    __tablename__ = "guests"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    tier: Mapped[GuestTier] = mapped_column(Enum(GuestTier, native_enum=False, length=16))
    #: Points earned toward the next tier this year, as a fraction of what it needs.
    tier_progress: Mapped[float | None]
    host_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    cuisines: Mapped[list[str]] = mapped_column(JSON, default=list)
    drinks: Mapped[list[str]] = mapped_column(JSON, default=list)
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    self_excluded: Mapped[bool] = mapped_column(default=False)
    do_not_market: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    #: Where the guest is now, from the latest event; a visit starts at an arrival.
    current_zone: Mapped[str | None] = mapped_column(String(40))
    on_property: Mapped[bool] = mapped_column(default=False, server_default=false())
    visit_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    host: Mapped[User | None] = relationship()
    visits: Mapped[list[Visit]] = relationship(back_populates="guest", order_by="Visit.visit_date")

    @property
    def may_receive_offers(self) -> bool:
        """Compliance comes first: no offer to a self-excluded or do-not-market guest."""
        return not (self.self_excluded or self.do_not_market)


class Visit(db.Model):
    """One trip day: where the guest played, what they spent, how it went."""

    __tablename__ = "visits"
    # A guest's history newest first, for every arrival: without it SQLite walks the date index.
    __table_args__ = (Index("ix_visits_guest_date", "guest_id", "visit_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guest_id: Mapped[int] = mapped_column(ForeignKey("guests.id"), index=True)
    visit_date: Mapped[date] = mapped_column(index=True)
    zone: Mapped[str] = mapped_column(String(40))
    spend: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    theo_win: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    complaint: Mapped[str | None] = mapped_column(Text)

    guest: Mapped[Guest] = relationship(back_populates="visits")


class GuestOffer(db.Model):
    """An offer made to a guest in the past and whether it was taken up."""

    __tablename__ = "guest_offers"
    __table_args__ = (UniqueConstraint("guest_id", "offered_on", "offer_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guest_id: Mapped[int] = mapped_column(ForeignKey("guests.id"), index=True)
    offered_on: Mapped[date]
    offer_type: Mapped[OfferType] = mapped_column(Enum(OfferType, native_enum=False, length=16))
    value: Mapped[Decimal] = mapped_column(Money())
    accepted: Mapped[bool]
