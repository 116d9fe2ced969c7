"""A guest's named facts at the moment of an event: profile, history, model scores, place, time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, func, select

from ..extensions import db
from ..scoring.facts import StoredFact, load_facts, load_facts_many
from ..tables import Event, Guest, Visit

#: Where to send a guest for the food they like (the dining offer names a venue).
#: What each restaurant really serves: an offer never names a venue that lacks the cuisine.
VENUE_FOR_CUISINE = {
    "steak": "Prime steakhouse",
    "seafood": "Prime steakhouse",
    "chinese": "Noodle bar",
}
#: The buffet serves a bit of everything else.
DEFAULT_VENUE = "Garden buffet"


@dataclass(frozen=True)
class Known:
    """What a batch of arrivals read once for all its guests: the writer stores a batch in a
    handful of round trips, not a handful per arrival (nothing here changes within a batch)."""

    since: date  # the history rows count the year from this day
    history: dict[int, tuple]
    stored: dict[int, dict[str, StoredFact]]


def known_for(guest_ids: Iterable[int], now: datetime) -> Known:
    """History and stored model facts of many guests, in two queries."""
    ids = sorted(set(guest_ids))
    since = _year_ago(now)
    rows = db.session.execute(_histories_statement(), {"ids": ids, "since": since})
    history = {guest_id: tuple(rest) for guest_id, *rest in rows}
    return Known(since, history, load_facts_many("guest", ids))


def guest_facts(
    guest: Guest, event: Event | None, now: datetime, known: Known | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The facts the host pack reads, and the model version behind each model-made fact
    (from KNOWN where it holds this guest, else read now)."""
    facts = {"now": now, "visit.started": guest.visit_started_at, **profile(guest)}
    row = None
    if known is not None and known.since == _year_ago(now):
        row = known.history.get(guest.id)
    facts |= history(guest, now, row)
    facts |= dining(guest)
    if event is not None:
        facts |= {
            "event.type": event.type,
            "event.source": event.source,
            "event.zone": event.zone,
            "event.hour": event.occurred_at.hour,
        }
    if guest.host is not None and guest.host.comp_authority is not None:
        facts["host.comp_authority"] = guest.host.comp_authority
    stored = None if known is None else known.stored.get(guest.id, {})
    scores, versions = model_scores(guest, stored)
    return facts | scores, versions


def profile(guest: Guest) -> dict[str, Any]:
    return {
        "guest.id": guest.external_id,
        "guest.name": guest.name,
        "guest.tier": guest.tier.value,
        "guest.next_tier": next_tier(guest.tier.value),
        "guest.tier_progress": guest.tier_progress,
        "guest.cuisines": list(guest.cuisines or []),
        "guest.drinks": list(guest.drinks or []),
        "guest.interests": list(guest.interests or []),
        "guest.self_excluded": guest.self_excluded,
        "guest.do_not_market": guest.do_not_market,
    }


def next_tier(tier: str) -> str | None:
    order = ["member", "gold", "platinum", "diamond", "black"]
    index = order.index(tier)
    return order[index + 1] if index + 1 < len(order) else None


def _history_statement():
    """Last visit and the past year's play in one round trip (built once, bound per guest)."""
    guest_id, since = bindparam("guest_id"), bindparam("since")
    mine = Visit.guest_id == guest_id
    in_year = and_(mine, Visit.visit_date >= since)

    def last(column):
        return select(column).where(mine).order_by(Visit.visit_date.desc()).limit(1)

    return select(
        select(func.count()).select_from(Visit).where(in_year).scalar_subquery(),
        select(func.sum(Visit.theo_win)).where(in_year).scalar_subquery(),
        *(last(c).scalar_subquery() for c in (Visit.visit_date, Visit.rating, Visit.complaint)),
    )


HISTORY = _history_statement()


@cache  # built once: it runs on every batch of arrivals
def _histories_statement():
    """HISTORY for many guests at once: one row per guest, the guest's id first."""
    since = bindparam("since")
    mine = Visit.guest_id == Guest.id
    in_year = and_(mine, Visit.visit_date >= since)

    def last(column):
        return select(column).where(mine).order_by(Visit.visit_date.desc()).limit(1)

    return select(
        Guest.id,
        select(func.count()).select_from(Visit).where(in_year).scalar_subquery(),
        select(func.sum(Visit.theo_win)).where(in_year).scalar_subquery(),
        *(last(c).scalar_subquery() for c in (Visit.visit_date, Visit.rating, Visit.complaint)),
    ).where(Guest.id.in_(bindparam("ids", expanding=True)))


def _year_ago(now: datetime) -> date:
    return (now - timedelta(days=365)).date()


def history(guest: Guest, now: datetime, row: tuple | None = None) -> dict[str, Any]:
    """Last visit's experience and the past year's play, from the visits table (ROW: this
    guest's HISTORY row, already read)."""
    if row is None:
        params = {"guest_id": guest.id, "since": _year_ago(now)}
        row = tuple(db.session.execute(HISTORY, params).one())
    count, theo, last_date, rating, complaint = row
    facts: dict[str, Any] = {"guest.visits_12m": count, "guest.theo_12m": theo or Decimal(0)}
    if count:
        facts["guest.adt"] = (Decimal(theo) / count).quantize(Decimal("0.01"))
    if last_date is not None:
        facts |= {
            "guest.last_visit": last_date,
            "guest.last_visit_rating": rating,
            "guest.last_visit_complaint": bool(complaint),
            "guest.last_complaint_text": complaint,
        }
    return facts


def dining(guest: Guest) -> dict[str, Any]:
    for cuisine in guest.cuisines or []:
        if cuisine in VENUE_FOR_CUISINE:
            return {
                "dining.featured_cuisine": cuisine,
                "dining.featured_venue": VENUE_FOR_CUISINE[cuisine],
            }
    favourite = (guest.cuisines or [None])[0]
    return {"dining.featured_cuisine": favourite, "dining.featured_venue": DEFAULT_VENUE}


def model_scores(
    guest: Guest, stored: dict[str, StoredFact] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Stored model outputs (guest value, propensities) with the version that made each
    (STORED: this guest's, already read)."""
    if stored is None:
        stored = load_facts("guest", guest.id)
    facts = {name: fact.value for name, fact in stored.items()}
    versions = {name: fact.model_version for name, fact in stored.items() if fact.model_version}
    return facts, versions
