"""A person's open cards, newest first: the truth the live stream only signals about."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import and_, bindparam, func, select

from ..extensions import db
from ..tables import CardStatus, Guest, IssuedCard

OPEN_STATUSES = [s for s in CardStatus if s.is_open]

#: An inbox shows this many open cards at first, and this many more on each "Show more".
PAGE = 200
#: At most this many on one screen (beyond it a person searches, not scrolls).
MOST = 2000


def shown_limit(asked: int | None) -> int:
    """How many open cards an inbox asked to show `?limit=N` may show: whole pages, 1 to 10."""
    pages = -(-(asked or PAGE) // PAGE)
    return min(max(pages, 1) * PAGE, MOST)


def open_cards(user_id: int, audience: str, limit: int = PAGE) -> list[IssuedCard]:
    wanted = {"user_id": user_id, "audience": audience, "limit": limit}
    return list(db.session.scalars(_open_cards(), wanted))


def open_count(user_id: int, audience: str) -> int:
    """How many open cards the person has in all (the inbox shows the newest `limit`)."""
    query = select(func.count(IssuedCard.id)).where(
        IssuedCard.assignee_id == user_id,
        IssuedCard.audience == audience,
        IssuedCard.status.in_(OPEN_STATUSES),
    )
    return db.session.scalar(query) or 0


def open_guest_cards(user_id: int, limit: int = PAGE) -> tuple[list[IssuedCard], dict]:
    """A host's open cards and the guests they are about, in one query."""
    rows = db.session.execute(_open_guest_cards(), {"user_id": user_id, "limit": limit}).all()
    return [card for card, _ in rows], {guest.id: guest for _, guest in rows if guest}


#: An alert nobody acted on for this long folds away under "Earlier".
FRESH = timedelta(minutes=30)


def now_and_earlier(
    cards: list[IssuedCard], now: datetime
) -> tuple[list[IssuedCard], list[IssuedCard]]:
    """Alerts to show first (fresh or being worked on), most valuable then newest first; and
    the old ones nobody acted on, newest first, to fold away."""
    current = [c for c in cards if c.status != CardStatus.OPEN or now - c.created_at < FRESH]
    earlier = [c for c in cards if c not in current]
    current.sort(key=lambda c: (c.priority, c.created_at, c.id), reverse=True)
    return current, earlier


# Every phone runs these on each signal: built once (building costs more than running them).
def _open(query, audience):
    """QUERY narrowed to one person's open cards for AUDIENCE, newest first."""
    return (
        query.where(
            IssuedCard.assignee_id == bindparam("user_id"),
            IssuedCard.audience == audience,
            IssuedCard.status.in_(OPEN_STATUSES),
        )
        .order_by(IssuedCard.created_at.desc(), IssuedCard.id.desc())
        .limit(bindparam("limit"))
    )


@cache
def _open_cards():
    return _open(select(IssuedCard), bindparam("audience"))


@cache
def _open_guest_cards():
    about = and_(IssuedCard.subject_type == "guest", Guest.id == IssuedCard.subject_id)
    return _open(select(IssuedCard, Guest).outerjoin(Guest, about), "host")
