"""Customer context: share of wallet and its trend, recent quotes and outcomes, win rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..tables import Customer, Quote, QuoteOutcome
from .outlook import Wallet, wallets

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
