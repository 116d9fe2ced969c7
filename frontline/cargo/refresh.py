"""The rep outlook refresh: evaluate the rep pack over departures, shippers and lanes.

`refresh(now)` evaluates the published rep pack over every departure in the next 14 days,
every shipper with a rep, and every lane with a rep; new cards are routed to the rep who
covers the lane or the account, committed, then signalled. A card whose rule is still open
for the same subject is not issued again, and the pack's cooldowns are honoured.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

import guidance_rules

from ..extensions import db
from ..guidance import evaluations
from ..guidance.issue import Route, RouteKind, assignees, hold_out, signal, stored_card
from ..guidance.packs import published_pack
from ..scoring.facts import load_facts_many
from ..tables import CardStatus, Customer, Flight, IssuedCard, Lane, User
from .competitors import competitor_options
from .facts import DISPLACEMENT, competitor_facts, customer_facts, flight_facts
from .pricing import lane_price
from .wallets import wallets

HORIZON_DAYS = 14
OPEN = [s for s in CardStatus if s.is_open]


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
                select(IssuedCard.subject_type, IssuedCard.subject_id, IssuedCard.rule_id)
                .where(IssuedCard.audience == "rep", IssuedCard.status.in_(OPEN))
            ).all()
        )  # fmt: skip
        self.history: dict[tuple[str, int], dict[str, datetime]] = defaultdict(dict)
        query = (
            select(
                IssuedCard.subject_type,
                IssuedCard.subject_id,
                IssuedCard.cooldown_key,
                func.max(IssuedCard.created_at),
            )
            .where(IssuedCard.audience == "rep", IssuedCard.cooldown_key.is_not(None))
            .group_by(IssuedCard.subject_type, IssuedCard.subject_id, IssuedCard.cooldown_key)
        )
        for kind, subject_id, key, at in db.session.execute(query):
            self.history[(kind, subject_id)][key] = at

    def issue(self, kind: str, subject_id: int, facts: dict, versions: dict, rep: User | None):
        self.report.evaluated[kind] += 1
        if rep is None or not rep.enabled:
            return
        shown = guidance_rules.evaluate(self.pack, facts, self.history[(kind, subject_id)])
        shown = hold_out(self.pack, kind, subject_id, shown, self.now)
        evaluations.record(self.pack, kind, subject_id, facts, shown, self.now)
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
        price, versions, flight = lane_price(lane, now)
        facts = {"now": now, "lane.code": lane.code, **price}
        facts |= competitor_facts(options, flight, price.get("price.recommended"))
        issuer.issue("lane", lane.id, facts, versions, lane.rep)
