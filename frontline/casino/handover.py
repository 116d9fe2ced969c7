"""When a host's shift ends (or she is disabled, or changes role), her open cards move on.

They go to the next host covering the guest's zone, else the shift manager, with a note saying
from whom and why: the guest is on the floor now, not in five minutes when escalation would
notice. Runs with the periodic jobs (`scheduler.py`) and at once when a shift is ended early.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from .. import push
from ..extensions import db
from ..guidance.issue import RouteKind
from ..tables import CardAction, Guest, IssuedCard, Shift, User
from .routing import OPEN, route_guest
from .shifts import MAX_SHIFT, local

#: Shifts that ended this long ago are still looked at (a worker that was down catches up).
LOOKBACK = timedelta(hours=12)


def _open_cards_of(user_ids):
    return select(IssuedCard).where(
        IssuedCard.audience == "host",
        IssuedCard.subject_type == "guest",
        IssuedCard.status.in_(OPEN),
        IssuedCard.assignee_id.in_(user_ids),
    )


def ended_shifts(now: datetime) -> int:
    """Hand over the open cards of everyone whose shift ended and who is not on another one."""
    ended = select(Shift.user_id).where(Shift.ends_at <= now, Shift.ends_at > now - LOOKBACK)
    working = select(Shift.user_id).where(
        Shift.starts_at > now - MAX_SHIFT, Shift.starts_at <= now, Shift.ends_at > now
    )
    cards = db.session.scalars(
        _open_cards_of(ended).where(IssuedCard.assignee_id.not_in(working))
    ).all()
    last_end = dict(
        db.session.execute(
            select(Shift.user_id, Shift.ends_at)
            .where(Shift.ends_at <= now, Shift.ends_at > now - LOOKBACK)
            .order_by(Shift.ends_at)
        ).all()
    )
    return _move(cards, now, lambda card: f"shift ended {local(last_end[card.assignee_id]):%H:%M}")


def person_leaves(person: User, now: datetime, why: str) -> int:
    """Hand over all of a person's open cards now (disabled, role changed, shift ended early)."""
    cards = db.session.scalars(_open_cards_of([person.id])).all()
    return _move(cards, now, lambda _card: why)


def _move(cards, now: datetime, why) -> int:
    notify: set[int] = set()
    moved = 0
    for card in cards:
        previous = card.assignee
        guest = db.session.get(Guest, card.subject_id)
        route = route_guest(guest, guest.current_zone, now, exclude=frozenset({previous.id}))
        if route.kind is RouteKind.NOBODY:
            continue  # nobody on the floor: the card waits where it is
        note = f"Handed over from {previous.display_name}: {why(card)}"[:200]
        if not _claim(card, previous.id, route.user.id, note, now):
            continue  # another worker moved it first
        db.session.add(CardAction(card_id=card.id, action="handed_over", detail=note, at=now))
        notify |= {previous.id, route.user.id}
        moved += 1
    db.session.commit()
    for user_id in sorted(notify):
        push.publish(push.user_channel(user_id), "inbox", "changed")
    return moved


def _claim(card: IssuedCard, previous_id: int, user_id: int, note: str, now: datetime) -> bool:
    """Compare-and-set on the owner, so a card moves once; the new owner's escalation clock
    starts now."""
    result = db.session.execute(
        update(IssuedCard)
        .where(IssuedCard.id == card.id, IssuedCard.assignee_id == previous_id)
        .values(assignee_id=user_id, routing_note=note, escalated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
