"""A host card is about one arrival: open past the limit, the visit is over and the card expires.

Expired cards leave the inbox and are never escalated; the scoreboard counts them as cards
nobody acted on. Rep cards do not expire: they are about accounts, lanes and departures that
stay true for days, and the outlook refresh issues a rule again only when none is open.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, select, update

from .. import push
from ..extensions import db
from ..guidance import actions
from ..guidance.inbox import OPEN_STATUSES
from ..tables import CardAction, CardStatus, IssuedCard, User, utcnow
from .shifts import local

#: Cards expired per statement: on SQLite the writer lock is held for one batch at a time.
BATCH = 1000


def expire_cards(now: datetime, hours: float) -> int:
    """Expire every host card still open HOURS after it came in; return how many expired.

    Compare-and-set UPDATEs: a card is expired only while it is still open, so from several
    workers at once each card expires once (on PostgreSQL a worker skips the rows another one
    has locked, rather than waiting for them or deadlocking), and a card tapped done meanwhile
    stays done. `ix_cards_open_by_age` keeps a run that finds nothing cheap."""
    owners: set[int] = set()
    expired = 0
    while True:
        batch = _expire_batch(now, hours)
        db.session.commit()  # each batch on its own: a tap waits for one batch at most
        expired += len(batch)
        owners |= {owner for _, owner in batch if owner is not None}
        if len(batch) < BATCH:
            break
    db.session.expire_all()
    for user_id in sorted(owners):
        push.publish(push.user_channel(user_id), "inbox", "changed")
    return expired


def _expire_batch(now: datetime, hours: float) -> list[tuple[int, int | None]]:
    """Expire up to BATCH cards and add their `expired` taps; (card id, owner) of each."""
    due = (
        select(IssuedCard.id)
        .where(
            IssuedCard.status.in_(OPEN_STATUSES),
            IssuedCard.created_at < now - timedelta(hours=hours),
            IssuedCard.audience == "host",
        )
        .limit(BATCH)
        .with_for_update(skip_locked=True)  # PostgreSQL: rows another worker holds are its own
    )
    expired = db.session.execute(
        update(IssuedCard)
        .where(IssuedCard.id.in_(due), IssuedCard.status.in_(OPEN_STATUSES))
        .values(status=CardStatus.EXPIRED, updated_at=now)
        .returning(IssuedCard.id, IssuedCard.assignee_id)
        .execution_options(synchronize_session=False)
    ).all()
    if expired:
        note = actions.expiry_note(hours)
        db.session.execute(
            insert(CardAction),
            [{"card_id": i, "action": "expired", "detail": note, "at": now} for i, _ in expired],
        )
    return [tuple(row) for row in expired]


def expired_at(card: IssuedCard) -> CardAction | None:
    """The tap that expired CARD (None: it has not expired)."""
    if card.status != CardStatus.EXPIRED:
        return None
    found = [t for t in card.taps if t.action == "expired"]
    return found[-1] if found else None


def late_tap(
    card: IssuedCard, user: User, action: str, outcome: str, reason: str, tap_id: str = ""
) -> str:
    """A tap on an expired card: it stays expired (nothing to do on it now), but nothing the
    host entered is lost: the tap is noted on the card. Returns what the host is told. Raises
    `actions.ActionRefused` for a tap the card never offered."""
    if action not in card.actions:
        raise actions.ActionRefused(f"{action!r} is not an action of this card")
    told = f"{expiry_line(card)}. Your tap is noted on the card."
    if tap_id and actions.already_recorded(tap_id):
        return told  # the same tap, sent again from a phone's queue
    words = actions.tap_words(action, outcome, reason)
    note = f"{user.display_name} after the card expired: {words}"
    card.taps.append(
        CardAction(
            user_id=user.id, action="after_expiry", detail=note, at=utcnow(), tap_id=tap_id or None
        )
    )
    db.session.commit()
    return told


def expiry_line(card: IssuedCard) -> str | None:
    """'This card expired at 14:05, 12 h after it came in'; None while it has not expired."""
    if card.status != CardStatus.EXPIRED:
        return None
    expired = expired_at(card)
    if expired is None:
        return "This card expired"
    hours = (expired.at - card.created_at).total_seconds() / 3600
    return f"This card expired at {local(expired.at):%H:%M}, {hours:.0f} h after it came in"
