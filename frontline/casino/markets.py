"""Casino micro-markets: per zone and guest tier, the guests' expected value against their play.

Potential: each guest's expected theoretical win over the next 90 days (the guest value model's
`guest.value_90d`), spread over zones as the guest's play of the last year is; guests marketing
may not approach (self-excluded, do not market) are no potential. Actual: the
theoretical win played in the zone by guests of the tier over the last 90 days.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Integer, and_, case, func, select, type_coerce

from ..extensions import db
from ..plans import targets
from ..plans.markets import PERIOD_DAYS, WEEKS, Market, week_edges, with_targets
from ..scoring.facts import decode
from ..tables import FactValue, Guest, GuestTier, Visit
from .zones import zone_names

VALUE_FACT = "guest.value_90d"
YEAR_DAYS = 365
CENT = Decimal("0.01")
TIERS = tuple(GuestTier)


def key(zone: str, tier: str) -> str:
    return f"{zone}/{tier}"


def zone_tier_markets(now: datetime, keys: set[str] | None = None) -> list[Market]:
    """Every zone and tier with play or potential (or only KEYS), biggest potential first."""
    actual, weekly = _actual(now)
    potential, scored = _potential(now)
    names = zone_names()
    found = (
        (set(actual) | set(potential)) if keys is None else keys & (set(actual) | set(potential))
    )
    markets = [
        Market(
            "casino",
            k,
            _label(k, names),
            potential.get(k, Decimal(0)).quantize(CENT) if scored else None,
            actual.get(k, Decimal("0.00")),
            weekly.get(k, (Decimal("0.00"),) * WEEKS),
        )
        for k in found
    ]
    markets.sort(key=lambda m: (-(m.potential or 0), -m.actual, m.key))
    return with_targets(markets, targets.current("casino"))


def _label(market: str, names: dict[str, str]) -> str:
    zone, _, tier = market.partition("/")
    return f"{names.get(zone, zone)} · {tier}"


def _actual(now: datetime) -> tuple[dict[str, Decimal], dict[str, tuple[Decimal, ...]]]:
    """Theoretical win per zone and tier over the period and per week, in one grouped query."""
    theo, today = type_coerce(Visit.theo_win, Integer), now.date()
    start = today - timedelta(days=PERIOD_DAYS)
    edges = [(a.date(), b.date()) for a, b in week_edges(now)]
    columns = [func.sum(case((Visit.visit_date > start, theo), else_=0))]
    columns += [
        func.sum(case((and_(Visit.visit_date > a, Visit.visit_date <= b), theo), else_=0))
        for a, b in edges
    ]
    query = (
        select(Visit.zone, Guest.tier, *columns)
        .join(Guest, Guest.id == Visit.guest_id)
        .where(Visit.visit_date > min(start, edges[0][0]), Visit.visit_date <= today)
        .group_by(Visit.zone, Guest.tier)
    )
    actual, weekly = {}, {}
    for zone, tier, period, *weeks in db.session.execute(query):
        actual[key(zone, tier)] = _dollars(period)
        weekly[key(zone, tier)] = tuple(_dollars(w) for w in weeks)
    return actual, weekly


def _potential(now: datetime) -> tuple[dict[str, Decimal], bool]:
    """Expected value per zone and tier; False when no guest has been scored yet."""
    values = {
        guest_id: decode(VALUE_FACT, raw)
        for guest_id, raw in db.session.execute(
            select(FactValue.subject_id, FactValue.value).where(
                FactValue.subject_type == "guest", FactValue.name == VALUE_FACT
            )
        )
    }
    query = (
        select(
            Visit.guest_id, Guest.tier, Visit.zone, func.sum(type_coerce(Visit.theo_win, Integer))
        )
        .join(Guest, Guest.id == Visit.guest_id)
        .where(
            Visit.visit_date > now.date() - timedelta(days=YEAR_DAYS),
            Visit.visit_date <= now.date(),
            Guest.self_excluded.is_(False),
            Guest.do_not_market.is_(False),
        )
        .group_by(Visit.guest_id, Guest.tier, Visit.zone)
    )
    play: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for guest_id, tier, zone, cents in db.session.execute(query):
        play[guest_id].append((key(zone, tier), int(cents or 0)))
    potential: dict[str, Decimal] = defaultdict(Decimal)
    for guest_id, zones in play.items():
        value, total = values.get(guest_id), sum(c for _k, c in zones)
        if value and total:
            for k, cents in zones:
                potential[k] += value * cents / total
    return potential, bool(values)


def _dollars(cents) -> Decimal:
    return Decimal(int(cents or 0)).scaleb(-2)


def host_keys(host_id: int, now: datetime) -> set[str]:
    """A host's micro-markets: the zones and tiers where the host's guests played this period."""
    query = (
        select(Visit.zone, Guest.tier)
        .join(Guest, Guest.id == Visit.guest_id)
        .where(
            Guest.host_id == host_id,
            Visit.visit_date > now.date() - timedelta(days=PERIOD_DAYS),
        )
        .distinct()
    )
    return {key(zone, tier) for zone, tier in db.session.execute(query)}
