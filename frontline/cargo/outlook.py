"""The rep's outlook as facts (flights, customers, lanes) and the refresh that pushes its cards.

`refresh(now)` evaluates the published rep pack over every departure in the next 14 days,
every shipper with a rep, and every lane with a rep; new cards are routed to the rep who
covers the lane or the account, committed, then signalled. A card whose rule is still open
for the same subject is not issued again, and the pack's cooldowns are honoured.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

import guidance_rules

from ..extensions import db
from ..guidance.issue import Route, RouteKind, assignees, signal, stored_card
from ..guidance.packs import published_pack
from ..scoring.facts import load_facts_many
from ..tables import (
    Booking,
    CardStatus,
    CompetitorOffer,
    Customer,
    Flight,
    GuidanceCard,
    Lane,
    User,
)
from ..tables.cargo import chargeable_kg

HORIZON_DAYS = 14
COMPETITOR_WINDOW_DAYS = 30
WALLET_DAYS = 365
TREND_DAYS = 90
MIN_EXPOSURE_DAYS = 30
DISPLACEMENT = "flight.displacement_cost"
OPEN = [s for s in CardStatus if s.is_open]


# -- customers ------------------------------------------------------------------------------


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


def customer_facts(customer: Customer, wallet: Wallet, now: datetime) -> dict[str, Any]:
    """The facts the rep pack reads about a shipper."""
    facts: dict[str, Any] = {
        "now": now,
        "customer.id": customer.code,
        "customer.name": customer.name,
        "customer.tier": customer.tier.value,
        "customer.share_of_wallet": wallet.share,
        "customer.sow_trend": wallet.trend,
        "customer.annual_revenue": wallet.revenue_12m,
        "customer.usual_booking_interval_days": wallet.usual_interval_days,
    }
    if wallet.last_booking_at is not None:
        facts["customer.days_since_last_booking"] = (now - wallet.last_booking_at).days
    return facts


# -- flights and lanes ----------------------------------------------------------------------


def flight_facts(flight: Flight, now: datetime, displacement: Decimal | None) -> dict[str, Any]:
    """The facts the rep pack reads about a departure."""
    return {
        "now": now,
        "lane.code": flight.lane.code,
        "flight.number": flight.number,
        "flight.departure": flight.departs_at,
        "flight.days_to_departure": round((flight.departs_at - now).total_seconds() / 86400, 2),
        "flight.load_factor": flight.load_factor,
        "flight.volume_load_factor": _ratio(flight.booked_m3, flight.capacity_m3),
        "flight.remaining_kg": max(flight.capacity_kg - flight.booked_kg, 0),
        DISPLACEMENT: displacement,
    }


def _ratio(part: Decimal, whole: Decimal) -> float:
    return float(part / whole) if whole else 1.0


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


def competitor_facts(
    options: list[Observation], our_hours: float | None, recommended: Decimal | None
) -> dict[str, Any]:
    """Best competitor rate, carrier, transit difference and undercut; missing when unseen."""
    if not options:
        return {}  # unseen is missing, never zero
    best = options[0]
    facts: dict[str, Any] = {"competitor.best_rate": best.rate, "competitor.carrier": best.carrier}
    if our_hours is not None:
        facts["competitor.transit_diff_hours"] = round(best.transit_hours - our_hours, 1)
    if recommended:
        facts["competitor.undercut_pct"] = round(float(1 - best.rate / recommended), 4)
    return facts


def block_hours(flight: Flight) -> float:
    return (flight.arrives_at - flight.departs_at).total_seconds() / 3600


# -- refresh --------------------------------------------------------------------------------


@dataclass
class RefreshReport:
    """What one refresh issued, by subject type."""

    issued: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    evaluated: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def total(self) -> int:
        return sum(self.issued.values())


class _Issuer:
    """Evaluates the rep pack per subject, skipping rules already open for that subject."""

    def __init__(self, now: datetime) -> None:
        self.now, self.pack, self.cards = now, published_pack("rep"), []
        self.report = RefreshReport()
        self.open = set(
            db.session.execute(
                select(GuidanceCard.subject_type, GuidanceCard.subject_id, GuidanceCard.rule_id)
                .where(GuidanceCard.audience == "rep", GuidanceCard.status.in_(OPEN))
            ).all()
        )  # fmt: skip
        self.history: dict[tuple[str, int], dict[str, datetime]] = defaultdict(dict)
        query = (
            select(
                GuidanceCard.subject_type,
                GuidanceCard.subject_id,
                GuidanceCard.cooldown_key,
                func.max(GuidanceCard.created_at),
            )
            .where(GuidanceCard.audience == "rep", GuidanceCard.cooldown_key.is_not(None))
            .group_by(GuidanceCard.subject_type, GuidanceCard.subject_id, GuidanceCard.cooldown_key)
        )
        for kind, subject_id, key, at in db.session.execute(query):
            self.history[(kind, subject_id)][key] = at

    def issue(self, kind: str, subject_id: int, facts: dict, versions: dict, rep: User | None):
        self.report.evaluated[kind] += 1
        if rep is None or not rep.enabled:
            return
        shown = guidance_rules.evaluate(self.pack, facts, self.history[(kind, subject_id)])
        for card in shown:
            if (kind, subject_id, card.rule_id) in self.open:
                continue
            route = Route(rep, *_why(kind))
            stored = stored_card(card, kind, subject_id, versions, route, self.now, None)
            db.session.add(stored)
            self.open.add((kind, subject_id, card.rule_id))
            self.cards.append(stored)
            self.report.issued[kind] += 1


def _why(kind: str) -> tuple[RouteKind, str]:
    if kind == "customer":
        return RouteKind.ACCOUNT, "Your account"
    return RouteKind.LANE, "Your lane"


def refresh(now: datetime, flight_ids: Iterable[int] | None = None) -> RefreshReport:
    """Re-evaluate the outlook and push new cards; FLIGHT_IDS limits it to those departures."""
    issuer = _Issuer(now)
    try:
        _flights(issuer, now, flight_ids)
        if flight_ids is None:
            _customers(issuer, now)
            _lanes(issuer, now)
        db.session.flush()
        owners = assignees(issuer.cards)  # read before the commit expires them
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    signal(owners)
    return issuer.report


def upcoming_flights(now: datetime, lane_ids: Iterable[int] | None = None) -> list[Flight]:
    query = (
        select(Flight)
        .options(joinedload(Flight.lane).joinedload(Lane.rep))
        .where(Flight.departs_at > now, Flight.departs_at <= now + timedelta(days=HORIZON_DAYS))
        .order_by(Flight.departs_at, Flight.id)
    )
    if lane_ids is not None:
        query = query.where(Flight.lane_id.in_(list(lane_ids)))
    return list(db.session.scalars(query))


def _flights(issuer: _Issuer, now: datetime, flight_ids: Iterable[int] | None) -> None:
    flights = upcoming_flights(now)
    if flight_ids is not None:
        wanted = set(flight_ids)
        flights = [f for f in flights if f.id in wanted]
    stored = load_facts_many("flight", [f.id for f in flights])
    for flight in flights:
        fact = stored.get(flight.id, {}).get(DISPLACEMENT)
        facts = flight_facts(flight, now, fact.value if fact else None)
        versions = {DISPLACEMENT: fact.model_version} if fact and fact.model_version else {}
        issuer.issue("flight", flight.id, facts, versions, flight.lane.rep)


def _customers(issuer: _Issuer, now: datetime) -> None:
    customers = list(
        db.session.scalars(
            select(Customer).options(joinedload(Customer.rep)).where(Customer.rep_id.is_not(None))
        )
    )
    found = wallets(customers, now)
    for customer in customers:
        facts = customer_facts(customer, found[customer.id], now)
        issuer.issue("customer", customer.id, facts, {}, customer.rep)


def _lanes(issuer: _Issuer, now: datetime) -> None:
    lanes = db.session.scalars(
        select(Lane).options(joinedload(Lane.rep)).where(Lane.rep_id.is_not(None))
    )
    for lane in lanes:
        options = competitor_options(lane.id, now.date())
        if not options:
            continue
        price, versions, hours = lane_price(lane, now)
        facts = {"now": now, "lane.code": lane.code, **price}
        facts |= competitor_facts(options, hours, price.get("price.recommended"))
        issuer.issue("lane", lane.id, facts, versions, lane.rep)


def lane_price(lane: Lane, now: datetime) -> tuple[dict[str, Any], dict[str, str], float | None]:
    """Guidance for a typical shipment on the lane's next departure (empty without a model)."""
    from models.errors import ModelError

    from .pricing import GuidanceInputError, quote_guidance

    flight = db.session.scalar(
        select(Flight)
        .where(Flight.lane_id == lane.id, Flight.departs_at > now)
        .order_by(Flight.departs_at)
        .limit(1)
    )
    if flight is None:
        return {}, {}, None
    request = {"weight_kg": 1000, "customer_tier": "standard", "share_of_wallet": 0.1}
    try:
        result = quote_guidance({**request, "flight_id": flight.id}, as_of=now)
    except (ModelError, GuidanceInputError):
        return {}, {}, block_hours(flight)
    price = {k: v for k, v in result.items() if k.startswith("price.") and k != "price.reason"}
    price.pop("price.expected_contribution", None)
    price.pop("price.cost_per_kg", None)
    versions = dict.fromkeys(price, result["model_version"])
    return price, versions, block_hours(flight)
