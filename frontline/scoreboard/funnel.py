"""The funnel per rule and version: issued → seen → acknowledged → acted → outcome.

Counted in one aggregate query (GROUP BY rule and version) over the cards the filters select;
each card's stages come from its taps, summed per card in a subquery first. A card is counted
by its headline rule (`cards.rule_id`); per-rule firings are in the evaluation log.

- seen: the card was opened or shown on screen (a `seen` tap), or tapped at all;
- acknowledged: acknowledged, or acted on directly;
- acted: on my way, done, call logged, offer sent, or (reps) a quote given to the card's subject
  within OUTCOME_DAYS;
- outcome: the offer accepted (hosts), or a quote won for the card's subject within OUTCOME_DAYS
  (reps);
- revenue: won quote totals (reps); the guest's spend on the visit days after an accepted offer
  (hosts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.sql.expression import ColumnElement, Select

from ..extensions import db
from ..tables import CardAction, CardStatus, Event, Flight, IssuedCard, Lane, Quote, User, Visit
from ..tables.cargo import KG_PER_M3
from .sql import seconds_between, within_days

OUTCOME_DAYS = 14
PERIODS = (7, 30, 90, 365)
ACTED = ("on_my_way", "done", "call_logged", "offer_sent")
ACKNOWLEDGED = ("acknowledge", *ACTED)
STAGES = ("issued", "seen", "acknowledged", "acted", "outcome", "dismissed")


class FilterError(ValueError):
    """A filter value the scoreboard cannot use; the message names the field."""


@dataclass(frozen=True)
class Filters:
    """What the scoreboard counts: every field empty means all."""

    audience: str = ""
    pack: str = ""
    rule: str = ""
    version: str = ""
    days: int = 30
    place: str = ""  # a zone code (hosts) or a lane code (reps)
    person: int | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Filters:
        """Filters from a query string; a bad value raises FilterError naming its field."""
        audience = args.get("audience", "")
        if audience not in ("", "host", "rep"):
            raise FilterError("audience: choose host or rep")
        try:
            days = int(args.get("days") or 30)
        except ValueError:
            raise FilterError("days: a whole number of days") from None
        if days not in PERIODS:
            raise FilterError(f"days: one of {', '.join(map(str, PERIODS))}")
        person = args.get("person") or None
        if person is not None and not person.isdigit():
            raise FilterError("person: a person's id")
        text = {name: args.get(name, "").strip()[:80] for name in ("pack", "rule", "version")}
        place = args.get("place", "").strip()[:40]
        return cls(audience, days=days, place=place, person=person and int(person), **text)

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string of these filters with CHANGES, without empty values."""
        values = asdict(replace(self, **changes))
        return {name: value for name, value in values.items() if value not in ("", None)}


def conditions(filters: Filters, now: datetime) -> list[ColumnElement]:
    """The WHERE clause of the cards the filters select."""
    card = IssuedCard
    where = [card.created_at >= now - timedelta(days=filters.days), card.created_at <= now]
    for column, value in (
        (card.audience, filters.audience),
        (card.pack_id, filters.pack),
        (card.rule_id, filters.rule),
        (card.pack_version, filters.version),
    ):
        if value:
            where.append(column == value)
    if filters.person is not None:
        where.append(card.assignee_id == filters.person)
    if filters.place:
        where.append(_at_place(filters.place))
    return where


def _at_place(code: str) -> ColumnElement:
    """Cards about a guest seen in zone CODE, or about a departure or lane of lane CODE."""
    card = IssuedCard
    lane = select(Lane.id).where(Lane.code == code).scalar_subquery()
    return or_(
        card.event_id.in_(select(Event.id).where(Event.zone == code)),
        and_(card.subject_type == "flight", card.subject_id.in_(
            select(Flight.id).where(Flight.lane_id == lane))),
        and_(card.subject_type == "lane", card.subject_id == lane),
    )  # fmt: skip


def _taps(where: list[ColumnElement]) -> Any:
    """Per card: whether it was seen, acknowledged, acted on, and when it was first acted on."""
    tap = CardAction
    person = tap.user_id.is_not(None)
    return (
        select(
            tap.card_id,
            func.max(case((or_(tap.action == "seen", person), 1), else_=0)).label("seen"),
            func.max(case((tap.action.in_(ACKNOWLEDGED), 1), else_=0)).label("acknowledged"),
            func.max(case((tap.action.in_(ACTED), 1), else_=0)).label("acted"),
            func.min(case((tap.action.in_(ACTED), tap.at))).label("acted_at"),
        )
        .where(tap.card_id.in_(select(IssuedCard.id).where(*where)))
        .group_by(tap.card_id)
        .subquery()
    )


def _quotes_for_card(won: bool) -> ColumnElement:
    """Quotes to the card's subject within OUTCOME_DAYS of the card (reps' cards)."""
    card, quote = IssuedCard, Quote
    about = or_(
        and_(card.subject_type == "customer", quote.customer_id == card.subject_id),
        and_(card.subject_type == "flight", quote.flight_id == card.subject_id),
        and_(card.subject_type == "lane", quote.lane_id == card.subject_id),
    )
    where = [about, within_days(quote.quoted_at, card.created_at, OUTCOME_DAYS)]
    if won:
        where.append(quote.outcome == "won")
    return and_(card.audience == "rep", *where)


def _won_total() -> ColumnElement:
    """A won quote's total in cents: the closing rate times the chargeable weight."""
    quote = Quote
    volumetric = func.round(quote.volume_m3 * float(KG_PER_M3) / 1000.0)
    chargeable = case((quote.weight_kg >= volumetric, quote.weight_kg), else_=volumetric)
    return func.coalesce(quote.won_rate_per_kg, quote.rate_per_kg) * chargeable


def _card_facts(where: list[ColumnElement]) -> Select:
    """One row per selected card: its stages (0/1), time to act, and revenue in cents."""
    card, taps = IssuedCard, _taps(where)
    quote_won = select(Quote.id).where(_quotes_for_card(True)).exists()
    quoted = select(Quote.id).where(_quotes_for_card(False)).exists()
    revenue_rep = select(func.coalesce(func.sum(_won_total()), 0)).where(_quotes_for_card(True))
    accepted = card.outcome == "accepted"
    spend = select(func.coalesce(func.sum(Visit.spend), 0)).where(
        Visit.guest_id == card.subject_id,
        Visit.visit_date >= func.date(card.created_at),
        card.subject_type == "guest",
    )
    return (
        select(
            card.audience, card.pack_id, card.rule_id, card.pack_version, card.rule_title,
            func.coalesce(taps.c.seen, 0).label("seen"),
            func.coalesce(taps.c.acknowledged, 0).label("acknowledged"),
            case((or_(taps.c.acted == 1, quoted), 1), else_=0).label("acted"),
            case((or_(accepted, quote_won), 1), else_=0).label("outcome"),
            seconds_between(card.created_at, taps.c.acted_at).label("to_act"),
            case((card.status == CardStatus.DISMISSED, 1), else_=0).label("dismissed"),
            case(
                (card.audience == "rep", revenue_rep.scalar_subquery()),
                (accepted, spend.scalar_subquery()),
                else_=literal(0),
            ).label("revenue"),
        )
        .outerjoin(taps, taps.c.card_id == card.id)
        .where(*where)
    )  # fmt: skip


@dataclass(frozen=True)
class Row:
    """The funnel of one rule and version."""

    audience: str
    pack: str
    rule: str
    version: str
    title: str
    issued: int
    seen: int
    acknowledged: int
    acted: int
    outcome: int
    dismissed: int
    minutes_to_act: float | None
    revenue: Decimal

    def share(self, stage: str) -> float:
        return getattr(self, stage) / self.issued if self.issued else 0.0


def funnel(filters: Filters, now: datetime) -> list[Row]:
    """Per rule and version, the funnel of the cards the filters select, most issued first."""
    facts = _card_facts(conditions(filters, now)).subquery()
    c = facts.c
    query = (
        select(
            c.audience, c.pack_id, c.rule_id, c.pack_version, func.max(c.rule_title),
            func.count(), func.sum(c.seen), func.sum(c.acknowledged), func.sum(c.acted),
            func.sum(c.outcome), func.sum(c.dismissed), func.avg(c.to_act), func.sum(c.revenue),
        )
        .group_by(c.audience, c.pack_id, c.rule_id, c.pack_version)
        .order_by(func.count().desc(), c.rule_id, c.pack_version)
    )  # fmt: skip
    return [_row(values) for values in db.session.execute(query)]


def _row(values: Any) -> Row:
    *names, issued, seen, acked, acted, outcome, dismissed, to_act, revenue = values
    minutes = None if to_act is None else float(to_act) / 60
    cents = Decimal(int(revenue or 0)).scaleb(-2)
    counts = (int(x or 0) for x in (issued, seen, acked, acted, outcome, dismissed))
    return Row(*names, *counts, minutes, cents)


def cards(filters: Filters, stage: str, now: datetime, limit: int = 200) -> list[IssuedCard]:
    """The cards behind one number of the funnel (newest first, at most LIMIT)."""
    if stage not in STAGES:
        raise FilterError(f"stage: one of {', '.join(STAGES)}")
    facts = _card_facts(conditions(filters, now)).add_columns(IssuedCard.id).subquery()
    ids = select(facts.c.id)
    if stage != "issued":
        ids = ids.where(getattr(facts.c, stage) == 1)
    query = (
        select(IssuedCard)
        .where(IssuedCard.id.in_(ids))
        .order_by(IssuedCard.created_at.desc(), IssuedCard.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def people(audience: str = "") -> list[User]:
    """Who can be picked in the person filter: everyone who ever got a card."""
    assigned = select(IssuedCard.assignee_id).distinct()
    if audience:
        assigned = assigned.where(IssuedCard.audience == audience)
    query = select(User).where(User.id.in_(assigned)).order_by(User.display_name)
    return list(db.session.scalars(query))
