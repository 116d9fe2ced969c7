"""Share of wallet as the rep reads it: a shipper's spend with us against its air-cargo spend."""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from ..extensions import db
from ..tables import Booking, Customer
from ..tables.cargo import chargeable_kg

WALLET_DAYS = 365
TREND_DAYS = 90
MIN_EXPOSURE_DAYS = 30


@dataclass(frozen=True)
class Wallet:
    """What a shipper spends with us against what it spends on air cargo in all."""

    revenue_12m: Decimal = Decimal("0.00")
    kg_12m: int = 0
    share: float | None = None
    share_recent: float | None = None
    share_prior: float | None = None
    last_booking_at: datetime | None = None
    usual_interval_days: float | None = None

    @property
    def trend(self) -> float | None:
        """Change in share between the last 90 days and the 90 before (annualised)."""
        if self.share_recent is None or self.share_prior is None:
            return None
        return round(self.share_recent - self.share_prior, 4)


def wallets(customers: Iterable[Customer], now: datetime) -> dict[int, Wallet]:
    """Each customer's wallet over the last year, from the bookings table (exact money)."""
    by_id = {c.id: c for c in customers}
    if not by_id:
        return {}
    start = now - timedelta(days=WALLET_DAYS)
    query = select(
        Booking.customer_id,
        Booking.booked_at,
        Booking.weight_kg,
        Booking.volume_m3,
        Booking.rate_per_kg,
    ).where(Booking.booked_at > start, Booking.booked_at <= now)
    if len(by_id) <= 100:
        query = query.where(Booking.customer_id.in_(by_id))
    rows = defaultdict(list)
    for customer_id, at, kg, m3, rate in db.session.execute(query):
        if customer_id in by_id:
            rows[customer_id].append((at, chargeable_kg(kg, m3), rate))
    first = db.session.scalar(select(func.min(Booking.booked_at)))
    exposure = _exposure_days(first, now)
    return {cid: _wallet(by_id[cid], rows.get(cid, []), now, exposure) for cid in by_id}


def _exposure_days(first: datetime | None, now: datetime) -> float:
    """Days of booking history the annual figures stand on (young data is annualised)."""
    if first is None:
        return float(WALLET_DAYS)
    return min(max((now - first).total_seconds() / 86400, MIN_EXPOSURE_DAYS), WALLET_DAYS)


def _wallet(customer: Customer, rows: list, now: datetime, exposure: float) -> Wallet:
    spend = customer.est_annual_spend or Decimal(0)
    revenue = sum((kg * rate for _at, kg, rate in rows), Decimal("0.00"))
    recent_cut, prior_cut = now - timedelta(days=TREND_DAYS), now - timedelta(days=2 * TREND_DAYS)
    recent = sum((kg * rate for at, kg, rate in rows if at > recent_cut), Decimal(0))
    prior = sum((kg * rate for at, kg, rate in rows if prior_cut < at <= recent_cut), Decimal(0))
    has_prior = exposure >= 2 * TREND_DAYS
    return Wallet(
        revenue_12m=revenue.quantize(Decimal("0.01")),
        kg_12m=sum(kg for _at, kg, _rate in rows),
        share=_share(revenue * 365 / Decimal(exposure), spend),
        share_recent=_share(recent * 365 / TREND_DAYS, spend),
        share_prior=_share(prior * 365 / TREND_DAYS, spend) if has_prior else None,
        last_booking_at=max((at for at, _kg, _rate in rows), default=None),
        usual_interval_days=_usual_interval([at for at, _kg, _rate in rows]),
    )


def _share(annual: Decimal, spend: Decimal) -> float | None:
    if not spend:
        return None
    return round(min(float(annual / spend), 1.0), 4)


def _usual_interval(times: list[datetime]) -> float | None:
    """The median number of days between booking days (None with fewer than three)."""
    days = sorted({t.date() for t in times})
    if len(days) < 3:
        return None
    return float(statistics.median((b - a).days for a, b in itertools.pairwise(days)))
