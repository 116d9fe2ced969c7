"""Customer context: share of wallet and its trend, recent quotes and outcomes, win rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..tables import Booking, Customer, Flight, Lane, Quote, QuoteOutcome
from .wallets import Wallet, wallets

RECENT_QUOTES = 10
WIN_RATE_DAYS = 365


@dataclass(frozen=True)
class Account:
    customer: Customer
    wallet: Wallet
    recent: list[Quote]
    open_quotes: list[Quote]
    won: int
    decided: int

    @property
    def win_rate(self) -> float | None:
        return self.won / self.decided if self.decided else None

    @property
    def estimated_total_kg(self) -> int | None:
        """The shipper's air-cargo tonnage with everyone, from our share of its spend."""
        if not self.wallet.share or not self.wallet.kg_12m:
            return None
        return int(self.wallet.kg_12m / self.wallet.share)


# -- who may see which shipper (docs/security.md, "Account ownership") ------------------------


def _my_lanes(rep_id: int):
    return select(Lane.id).where(Lane.rep_id == rep_id)


def visible_customers(rep_id: int):
    """Ids of the shippers a rep may see: their own accounts, and the lane team's (shippers who
    quoted or booked on a lane the rep owns: the rep works that freight too)."""
    quoted = select(Quote.customer_id).where(Quote.lane_id.in_(_my_lanes(rep_id)))
    booked = (
        select(Booking.customer_id)
        .join(Flight, Flight.id == Booking.flight_id)
        .where(Flight.lane_id.in_(_my_lanes(rep_id)))
    )
    return select(Customer.id).where(
        (Customer.rep_id == rep_id) | Customer.id.in_(quoted) | Customer.id.in_(booked)
    )


def may_see(rep_id: int, customer: Customer) -> bool:
    if customer.rep_id == rep_id:
        return True
    mine = visible_customers(rep_id).where(Customer.id == customer.id)
    return bool(db.session.scalar(select(mine.exists())))


def seen_among(rep_id: int, customer_ids: list[int]) -> set[int]:
    """Which of these shippers the rep may see (a flight's bookings show the others masked)."""
    if not customer_ids:
        return set()
    query = visible_customers(rep_id).where(Customer.id.in_(set(customer_ids)))
    return set(db.session.scalars(query))


def may_quote(rep_id: int, customer: Customer, lane: Lane) -> bool:
    """A rep quotes their own accounts on any lane; on a lane they own, also the shippers they
    may see and those nobody owns yet (new business)."""
    if customer.rep_id == rep_id:
        return True
    return lane.rep_id == rep_id and (customer.rep_id is None or may_see(rep_id, customer))


def quotable_customers(rep_id: int) -> list[Customer]:
    """The quote form's shippers: own accounts first, then the lane team's and unowned ones."""
    query = select(Customer).where(
        Customer.id.in_(visible_customers(rep_id)) | Customer.rep_id.is_(None)
    )
    return sorted(db.session.scalars(query), key=lambda c: (c.rep_id != rep_id, c.name))


def my_customers(rep_id: int, now: datetime) -> list[tuple[Customer, Wallet]]:
    customers = list(
        db.session.scalars(
            select(Customer).where(Customer.rep_id == rep_id).order_by(Customer.name)
        )
    )
    found = wallets(customers, now)
    order = {"key": 0, "large": 1, "standard": 2, "small": 3}
    rows = [(c, found[c.id]) for c in customers]
    return sorted(rows, key=lambda row: (order[row[0].tier.value], row[0].name))


def account(customer: Customer, now: datetime) -> Account:
    wallet = wallets([customer], now)[customer.id]
    base = select(Quote).options(joinedload(Quote.lane), joinedload(Quote.flight))
    recent = db.session.scalars(
        base.where(Quote.customer_id == customer.id)
        .order_by(Quote.quoted_at.desc(), Quote.id.desc())
        .limit(RECENT_QUOTES)
    ).all()
    open_quotes = db.session.scalars(
        base.where(
            Quote.customer_id == customer.id, Quote.outcome == QuoteOutcome.PENDING
        ).order_by(Quote.quoted_at.desc())
    ).all()
    won, decided = _outcomes(customer.id, now)
    return Account(customer, wallet, list(recent), list(open_quotes), won, decided)


def _outcomes(customer_id: int, now: datetime) -> tuple[int, int]:
    counts = dict(
        db.session.execute(
            select(Quote.outcome, func.count())
            .where(
                Quote.customer_id == customer_id,
                Quote.quoted_at > now - timedelta(days=WIN_RATE_DAYS),
            )
            .group_by(Quote.outcome)
        ).all()
    )
    won = counts.get(QuoteOutcome.WON, 0)
    return won, won + counts.get(QuoteOutcome.LOST, 0)


def quote_total(quote: Quote) -> Decimal:
    rate = quote.won_rate_per_kg or quote.rate_per_kg
    return rate * quote.chargeable_kg
