"""Cargo micro-markets: per lane, what shippers spend on air cargo against what we book.

Potential: each shipper's estimated annual air-cargo spend (all carriers), spread over lanes
as its bookings with us over the last year are, for one plan period (90 days). Actual: our
booking revenue on the lane over the last 90 days. Both come from grouped queries.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Integer, and_, case, func, or_, select, type_coerce

from ..extensions import db
from ..plans import targets
from ..plans.markets import PERIOD_DAYS, WEEKS, Market, week_edges, with_targets
from ..tables import Booking, Customer, Flight, Lane, Quote

YEAR_DAYS = 365
CENT = Decimal("0.01")


def revenue_cents():
    """A booking's revenue in cents, exact: chargeable kg (as `chargeable_kg` rounds) times rate."""
    milli_m3 = type_coerce(Booking.volume_m3, Integer)
    raw = milli_m3 * 16667  # m3/1000 times 166.67 kg/m3, in units of 1e-5 kg
    whole, rest = raw // 100000, raw % 100000
    half_even = whole + case((rest > 50000, 1), (and_(rest == 50000, whole % 2 == 1), 1), else_=0)
    kg = case((Booking.weight_kg >= half_even, Booking.weight_kg), else_=half_even)
    return kg * type_coerce(Booking.rate_per_kg, Integer)


def lane_markets(now: datetime, lane_ids: list[int] | None = None) -> list[Market]:
    """Every lane's micro-market (or only LANE_IDS'), with its target, by lane code."""
    ids = None if lane_ids is None else set(lane_ids)
    lanes = db.session.execute(select(Lane.id, Lane.code).order_by(Lane.code)).all()
    lanes = [lane for lane in lanes if ids is None or lane.id in ids]
    if not lanes:
        return []
    actual, weekly = _actual(now, ids)
    potential = _potential(now, ids)
    markets = [
        Market(
            "cargo",
            code,
            code,
            potential.get(lane_id, Decimal(0)).quantize(CENT),
            actual.get(lane_id, Decimal("0.00")),
            weekly.get(lane_id, _zero_weeks()),
        )
        for lane_id, code in lanes
    ]
    return with_targets(markets, targets.current("cargo"))


def _zero_weeks() -> tuple[Decimal, ...]:
    return (Decimal("0.00"),) * WEEKS


def _actual(now: datetime, ids: set[int] | None) -> tuple[dict, dict]:
    """Revenue per lane and week (the period's older days in one more bucket), one pass."""
    start, edges = now - timedelta(days=PERIOD_DAYS), week_edges(now)
    week = case(
        *((Booking.booked_at > a, i) for i, (a, _b) in reversed(list(enumerate(edges)))), else_=-1
    )
    query = (
        select(Flight.lane_id, week, func.sum(revenue_cents()))
        .join(Flight, Flight.id == Booking.flight_id)
        .where(Booking.booked_at > min(start, edges[0][0]), Booking.booked_at <= now)
        .group_by(Flight.lane_id, week)
    )
    if ids is not None:
        query = query.where(Flight.lane_id.in_(ids))
    actual, weekly = defaultdict(Decimal), defaultdict(lambda: [Decimal("0.00")] * WEEKS)
    for lane_id, index, cents in db.session.execute(query):
        actual[lane_id] += _dollars(cents)
        if index >= 0:
            weekly[lane_id][index] = _dollars(cents)
    return actual, {lane_id: tuple(weeks) for lane_id, weeks in weekly.items()}


def _potential(now: datetime, ids: set[int] | None) -> dict[int, Decimal]:
    """Each shipper's spend for one period, spread over lanes by its last year's bookings
    (with IDS, only the shippers that booked on those lanes are read)."""
    year = and_(Booking.booked_at > now - timedelta(days=YEAR_DAYS), Booking.booked_at <= now)
    query = (
        select(Booking.customer_id, Flight.lane_id, func.sum(revenue_cents()))
        .join(Flight, Flight.id == Booking.flight_id)
        .where(year)
        .group_by(Booking.customer_id, Flight.lane_id)
    )
    if ids is not None:
        shippers = select(Booking.customer_id).join(Flight).where(year, Flight.lane_id.in_(ids))
        query = query.where(Booking.customer_id.in_(shippers))
    by_customer: dict[int, dict[int, int]] = defaultdict(dict)
    for customer_id, lane_id, cents in db.session.execute(query):
        by_customer[customer_id][lane_id] = int(cents or 0)
    spend = {
        cid: amount
        for cid, amount in db.session.execute(select(Customer.id, Customer.est_annual_spend))
    }
    potential: dict[int, Decimal] = defaultdict(Decimal)
    for customer_id, lanes in by_customer.items():
        total = sum(lanes.values())
        period_spend = (spend.get(customer_id) or Decimal(0)) * PERIOD_DAYS / YEAR_DAYS
        for lane_id, cents in lanes.items():
            if total:
                potential[lane_id] += period_spend * cents / total
    return potential


def _dollars(cents) -> Decimal:
    return Decimal(int(cents or 0)).scaleb(-2)


def rep_lane_ids(rep_id: int) -> list[int]:
    """A rep's micro-markets: the lanes he covers and the lanes his accounts ship on."""
    own = select(Lane.id).where(Lane.rep_id == rep_id)
    quoted = (
        select(Quote.lane_id)
        .join(Customer, Customer.id == Quote.customer_id)
        .where(or_(Customer.rep_id == rep_id, Quote.rep_id == rep_id))
    )
    return sorted(set(db.session.scalars(own.union(quoted))))
