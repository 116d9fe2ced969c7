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

from sqlalchemy import and_, case, false, func, literal, or_, select
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


#: How a rep's card names what a quote is about (each an indexed column of quotes).
_QUOTE_SUBJECTS = {
    "customer": Quote.customer_id,
    "flight": Quote.flight_id,
    "lane": Quote.lane_id,
}


def _quotes_for_card(card: Any, won: bool, measure: ColumnElement | None = None) -> ColumnElement:
    """Whether (or, with MEASURE, how much) CARD's subject was quoted (or won) within
    OUTCOME_DAYS of a rep's card: one indexed subquery per kind of subject, so each card looks
    up only its own subject's quotes. CARD is the cards table or a row source with its columns."""
    branches = []
    for kind, column in _QUOTE_SUBJECTS.items():
        where = [column == card.subject_id]
        where.append(within_days(Quote.quoted_at, card.created_at, OUTCOME_DAYS))
        if won:
            where.append(Quote.outcome == "won")
        if measure is None:
            found = select(Quote.id).where(*where).exists()
        else:
            found = select(func.coalesce(func.sum(measure), 0)).where(*where).scalar_subquery()
        branches.append((and_(card.audience == "rep", card.subject_type == kind), found))
    return case(*branches, else_=literal(0) if measure is not None else false())


def _won_total() -> ColumnElement:
    """A won quote's total in cents: the closing rate times the chargeable weight."""
    quote = Quote
    volumetric = func.round(quote.volume_m3 * float(KG_PER_M3) / 1000.0)
    chargeable = case((quote.weight_kg >= volumetric, quote.weight_kg), else_=volumetric)
    return func.coalesce(quote.won_rate_per_kg, quote.rate_per_kg) * chargeable


def _card_facts(where: list[ColumnElement]) -> Select:
    """One row per selected card: its stages (0/1), time to act, and revenue in cents.

    The per-card lookups are materialized once (a CTE), then combined; the costlier lookups
    (a quote when no tap says "acted", revenue) run only for the cards that need them."""
    c = _per_card(where).cte("per_card").prefix_with("MATERIALIZED")
    c_ = c.c
    spend = select(func.coalesce(func.sum(Visit.spend), 0)).where(
        Visit.guest_id == c_.subject_id, Visit.visit_date >= func.date(c_.created_at)
    )
    return select(
        c_.id, c_.audience, c_.pack_id, c_.rule_id, c_.pack_version, c_.seen, c_.acknowledged,
        case((c_.first_acted.is_not(None), 1), (_quotes_for_card(c_, False), 1), else_=0)
        .label("acted"),
        case((c_.accepted == 1, 1), (c_.won == 1, 1), else_=0).label("outcome"),
        seconds_between(c_.created_at, c_.first_acted).label("to_act"),
        c_.dismissed,
        case(
            (c_.won == 1, _quotes_for_card(c_, True, _won_total())),
            (and_(c_.accepted == 1, c_.subject_type == "guest"), spend.scalar_subquery()),
            else_=literal(0),
        ).label("revenue"),
    )  # fmt: skip


def _per_card(where: list[ColumnElement]) -> Select:
    """Each selected card's own columns and what its taps say: one pass over the cards and
    their taps (both read from covering indexes), grouped by card."""
    card, tap = IssuedCard, CardAction
    seen = or_(tap.action == "seen", tap.user_id.is_not(None))
    return (
        select(
            card.id, card.audience, card.pack_id, card.rule_id, card.pack_version,
            card.created_at, card.subject_type, card.subject_id,
            func.max(case((seen, 1), else_=0)).label("seen"),
            func.max(case((tap.action.in_(ACKNOWLEDGED), 1), else_=0)).label("acknowledged"),
            func.min(case((tap.action.in_(ACTED), tap.at))).label("first_acted"),
            case((_quotes_for_card(card, True), 1), else_=0).label("won"),
            case((card.outcome == "accepted", 1), else_=0).label("accepted"),
            case((card.status == CardStatus.DISMISSED, 1), else_=0).label("dismissed"),
        )
        .outerjoin(tap, tap.card_id == card.id)
        .where(*where)
        .group_by(card.id)
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
            c.audience, c.pack_id, c.rule_id, c.pack_version, func.count(), func.sum(c.seen),
            func.sum(c.acknowledged), func.sum(c.acted), func.sum(c.outcome),
            func.sum(c.dismissed), func.avg(c.to_act), func.sum(c.revenue),
        )
        .group_by(c.audience, c.pack_id, c.rule_id, c.pack_version)
        .order_by(func.count().desc(), c.rule_id, c.pack_version)
    )  # fmt: skip
    rows = db.session.execute(query).all()
    titles = _titles({row[2] for row in rows})
    return [_row(values, titles) for values in rows]


def _titles(rules: set[str]) -> dict[str, str]:
    """Each rule's newest title (one indexed lookup per rule)."""
    titles = {}
    for rule in sorted(rules):
        newest = select(IssuedCard.rule_title).where(IssuedCard.rule_id == rule)
        titles[rule] = db.session.scalar(newest.order_by(IssuedCard.id.desc()).limit(1)) or rule
    return titles


def _row(values: Any, titles: dict[str, str]) -> Row:
    *names, issued, seen, acked, acted, outcome, dismissed, to_act, revenue = values
    names.append(titles.get(names[2], names[2]))
    minutes = None if to_act is None else float(to_act) / 60
    cents = Decimal(int(revenue or 0)).scaleb(-2)
    counts = (int(x or 0) for x in (issued, seen, acked, acted, outcome, dismissed))
    return Row(*names, *counts, minutes, cents)


def cards(filters: Filters, stage: str, now: datetime, limit: int = 200) -> list[IssuedCard]:
    """The cards behind one number of the funnel (newest first, at most LIMIT)."""
    if stage not in STAGES:
        raise FilterError(f"stage: one of {', '.join(STAGES)}")
    facts = _card_facts(conditions(filters, now)).subquery()
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
