"""Cards nobody acknowledged in time move on: to another host on the floor, then the manager."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from .. import push
from ..extensions import db
from ..guidance import actions
from ..guidance.issue import Route, RouteKind
from ..tables import CardAction, CardStatus, Guest, IssuedCard, User, utcnow
from .routing import on_shift, route_guest
from .shifts import local


def overdue(now: datetime, minutes: int) -> list[IssuedCard]:
    cutoff = now - timedelta(minutes=minutes)
    query = select(IssuedCard).where(
        IssuedCard.audience == "host",
        IssuedCard.subject_type == "guest",
        IssuedCard.status == CardStatus.OPEN,
        func.coalesce(IssuedCard.escalated_at, IssuedCard.created_at) < cutoff,
    )
    return list(db.session.scalars(query))


def moves_at(card: IssuedCard, minutes: int) -> datetime | None:
    """When an unacknowledged card moves on (None once someone acknowledged it)."""
    if card.audience != "host" or card.status != CardStatus.OPEN:
        return None
    return (card.escalated_at or card.created_at) + timedelta(minutes=minutes)


def moved_from(card: IssuedCard, user_id: int) -> CardAction | None:
    """The move that took CARD away from USER_ID (None: it never was theirs)."""
    moves = [t for t in card.taps if t.action == "escalated" and t.user_id == user_id]
    return moves[-1] if moves else None


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
        # user_id: the person it moved away from, so their late taps are still recognised.
        moved_from = card.assignee_id
        db.session.add(
            CardAction(card_id=card.id, user_id=moved_from, action="escalated", detail=note, at=now)
        )
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


def late_tap(card: IssuedCard, user: User, action: str, outcome: str, reason: str) -> str:
    """A tap from a host the card moved away from: nothing they entered is lost. Done or not
    relevant on a card still open closes it (the new holder is told); any other tap is noted on
    the card. Returns what the host is told. Raises `actions.ActionRefused` (roll back then)."""
    moved = moved_from(card, user.id)
    holder = card.assignee.display_name if card.assignee else "nobody"
    told = f"This card moved to {holder} at {local(moved.at):%H:%M}"
    words = actions.tap_words(action, outcome, reason)
    note = f"{user.display_name} after the card moved to {holder}: {words}"
    card.taps.append(CardAction(user_id=user.id, action="after_move", detail=note, at=utcnow()))
    if action in ("done", "not_relevant") and card.status.is_open:  # how it ended
        actions.tap(card, user, action, outcome, reason)  # commits the note with the tap
        told += f". Your outcome is recorded on it and {holder} sees it is closed."
    else:
        db.session.commit()
        told += f"; {holder} has it now. Your tap is noted on the card."
    if card.assignee_id is not None:
        push.publish(push.user_channel(card.assignee_id), "inbox", "changed")
    return told
