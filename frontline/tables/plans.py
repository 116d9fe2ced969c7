"""The joint local plan: targets per micro-market (history kept) and who to call behind each."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .people import User
from .types import Money, UTCDateTime, utcnow


class MarketTarget(db.Model):
    """A target for one micro-market over the plan period; a new row per edit, never updated.

    The newest row of a market is its target; the older ones are its history (who set what, when).
    """

    __tablename__ = "market_targets"
    __table_args__ = (Index("ix_market_targets_market", "business", "market", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business: Mapped[str] = mapped_column(String(16))  # cargo or casino
    #: A lane code (cargo) or "zone/tier" (casino).
    market: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Money())
    note: Mapped[str] = mapped_column(String(200), default="")
    set_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    set_by: Mapped[User] = relationship()


WEEKDAYS = {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat", 7: "Sun"}


class DirectoryEntry(db.Model):
    """A person in sales or marketing behind a micro-market, how to reach them and when."""

    __tablename__ = "directory_entries"
    __table_args__ = (Index("ix_directory_business_market", "business", "market"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business: Mapped[str] = mapped_column(String(16))
    #: A lane code, a zone code, or "*" for every market of the business.
    market: Mapped[str] = mapped_column(String(64))
    #: product_manager, pricing_analyst, zone_manager, on_call_approver.
    role: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(254), default="")
    #: ISO weekdays on duty ("12345" = Monday to Friday) and the hours, UTC; to < from: overnight.
    duty_days: Mapped[str] = mapped_column(String(7), default="1234567")
    duty_from: Mapped[int] = mapped_column(SmallInteger, default=0)
    duty_to: Mapped[int] = mapped_column(SmallInteger, default=24)

    @property
    def duty_text(self) -> str:
        """E.g. "Mon-Fri, 5-21 h UTC" or "every day, round the clock"."""
        days = sorted(self.duty_days)
        if days == list("1234567"):
            when = "every day"
        elif "".join(days) in "1234567" and len(days) > 2:
            when = f"{WEEKDAYS[int(days[0])]}-{WEEKDAYS[int(days[-1])]}"
        else:
            when = ", ".join(WEEKDAYS[int(d)] for d in days)
        if (self.duty_from, self.duty_to) == (0, 24):
            return f"{when}, round the clock"
        return f"{when}, {self.duty_from}-{self.duty_to} h UTC"
