"""Cards nobody acknowledged in time move on: to another host on the floor, then the manager."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from .. import push
from ..extensions import db
from ..guidance.issue import Route, RouteKind
from ..tables import CardAction, CardStatus, Guest, IssuedCard
from .routing import on_shift, route_guest


def overdue(now: datetime, minutes: int) -> list[IssuedCard]:
    cutoff = now - timedelta(minutes=minutes)
    query = select(IssuedCard).where(
        IssuedCard.audience == "host",
        IssuedCard.subject_type == "guest",
        IssuedCard.status == CardStatus.OPEN,
        func.coalesce(IssuedCard.escalated_at, IssuedCard.created_at) < cutoff,
    )
    return list(db.session.scalars(query))


def next_owner(card: IssuedCard, guest: Guest, now: datetime) -> Route:
    """First another host covering the guest's zone, after that the shift manager."""
    if card.escalation_level == 0:
        route = route_guest(guest, guest.current_zone, now, exclude=frozenset({card.assignee_id}))
        if route.kind in (RouteKind.OWN_GUEST, RouteKind.COVERING):
            return route
    managers = [s for s in on_shift(now, manager=True) if s.user_id != card.assignee_id]
    if managers:
        return Route(managers[0].user, RouteKind.MANAGER, "Shift manager")
    return Route(None, RouteKind.NOBODY, "")


def escalate_overdue(now: datetime, minutes: int) -> int:
    """Move every overdue card on and return how many moved; safe from several workers at once."""
    notify: set[int] = set()
    new_owners: set[int] = set()
    moved = 0
    for card in overdue(now, minutes):
        route = next_owner(card, db.session.get(Guest, card.subject_id), now)
        if route.user is None:
            continue
        note = _note(card.assignee, minutes)
        if not _claim(card, route, note, now):
            continue  # another worker moved it first
        db.session.add(CardAction(card_id=card.id, action="escalated", detail=note, at=now))
        notify |= {route.user.id} | ({card.assignee_id} if card.assignee_id else set())
        new_owners.add(route.user.id)
        moved += 1
    db.session.commit()
    db.session.expire_all()
    for user_id in sorted(notify):
        push.publish(push.user_channel(user_id), "inbox", "changed")
    push.web.announce(new_owners)
    return moved


def _claim(card: IssuedCard, route: Route, note: str, now: datetime) -> bool:
    """Compare-and-set on the escalation level, so a card moves once per level."""
    result = db.session.execute(
        update(IssuedCard)
        .where(IssuedCard.id == card.id, IssuedCard.escalation_level == card.escalation_level)
        .values(
            escalation_level=card.escalation_level + 1,
            escalated_at=now,
            assignee_id=route.user.id,
            routing_note=note,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _note(previous, minutes: int) -> str:
    who = previous.display_name if previous else "nobody"
    return f"Escalated from {who}: not acknowledged in {minutes} min"
