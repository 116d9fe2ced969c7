"""One-tap actions on a card: each moves its status and is recorded with a timestamp."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import push
from ..extensions import db
from ..tables import CardAction, CardStatus, IssuedCard, User, utcnow

MOVES = {
    "acknowledge": CardStatus.ACKNOWLEDGED,
    "on_my_way": CardStatus.ON_MY_WAY,
    "done": CardStatus.DONE,
    "not_relevant": CardStatus.DISMISSED,
    "call_logged": CardStatus.DONE,
    "offer_sent": CardStatus.DONE,
}
OUTCOMES = {"accepted": "Offer accepted", "declined": "Offer declined", "no_contact": "No contact"}
REASONS = {
    "not_here": "Guest not here",
    "already_handled": "Already handled",
    "wrong_person": "Wrong person",
    "not_appropriate": "Not appropriate now",
}


class ActionRefused(ValueError):
    """The tap does not apply to this card now; the message says why."""


# >>> screens (issue 14): a card's status only moves forward, in words people read
#: What a person reads for each status ("Not relevant" stays "Not relevant").
STATUS_WORDS = {
    CardStatus.OPEN: "Open",
    CardStatus.ACKNOWLEDGED: "Acknowledged",
    CardStatus.ON_MY_WAY: "On my way",
    CardStatus.DONE: "Done",
    CardStatus.DISMISSED: "Not relevant",
    CardStatus.EXPIRED: "Expired",
}
#: How far along each status is: a tap may only move a card further.
PROGRESS = {
    CardStatus.OPEN: 0,
    CardStatus.ACKNOWLEDGED: 1,
    CardStatus.ON_MY_WAY: 2,
    CardStatus.DONE: 3,
    CardStatus.DISMISSED: 3,
    CardStatus.EXPIRED: 3,  # nothing moves an expired card on
}


def tap_words(action: str, outcome: str = "", reason: str = "") -> str:
    """A tap as the card's history says it: its outcome, else its reason, else the action."""
    return OUTCOMES.get(outcome) or REASONS.get(reason) or action.replace("_", " ")


def expiry_note(hours: float) -> str:
    """What an expired card's history says (the expiry job and the demo's history write it)."""
    return f"Expired: still open {hours:g} h after it came in"


def next_actions(card: IssuedCard) -> list[str]:
    """The card's actions that still move it forward, in the card's order."""
    here = PROGRESS[card.status]
    return [a for a in card.actions if a in MOVES and PROGRESS[MOVES[a]] > here]


# <<< screens


def tap(
    card: IssuedCard, user: User, action: str, outcome: str = "", reason: str = "", tap_id: str = ""
) -> None:
    """Apply a tap, record it, commit, and tell the assignee's other phones.

    `tap_id` is the phone's own id for the tap: the same tap sent again is recorded once.
    """
    # --- idempotency (phones queue taps offline and may send one twice) ---
    if tap_id and already_recorded(tap_id):
        return
    # --- end idempotency ---
    if action not in card.actions or action not in MOVES:
        raise ActionRefused(f"{action!r} is not an action of this card")
    if not card.status.is_open or action not in next_actions(card):  # screens (issue 14)
        raise ActionRefused(f"this card is already {STATUS_WORDS[card.status].lower()}")
    detail = _detail(card, action, outcome, reason)
    card.status = MOVES[action]
    card.taps.append(
        CardAction(
            user_id=user.id, action=action, detail=detail, at=utcnow(), tap_id=tap_id or None
        )
    )
    try:
        db.session.commit()
    except IntegrityError:  # the same tap, sent twice at once, committed by the other request
        db.session.rollback()
        if not (tap_id and already_recorded(tap_id)):
            raise
        return
    push.publish(push.user_channel(user.id), "inbox", "changed")


def already_recorded(tap_id: str) -> bool:
    """Whether the phone's tap TAP_ID is on a card already (a queued tap sent again)."""
    if len(tap_id) > 64:
        raise ActionRefused("this tap's id is longer than 64 characters")
    return db.session.scalar(select(CardAction.id).where(CardAction.tap_id == tap_id)) is not None


def _detail(card: IssuedCard, action: str, outcome: str, reason: str) -> str:
    if action == "done" and card.offer:
        if outcome not in OUTCOMES:
            raise ActionRefused("say how it went: offer accepted, declined, or no contact")
        card.outcome = outcome
        return outcome
    if action == "not_relevant":
        if reason not in REASONS:
            raise ActionRefused("pick a reason: " + ", ".join(REASONS.values()))
        card.dismiss_reason = reason
        return reason
    return ""


def seen(card: IssuedCard, user: User) -> None:
    """Record, once per card and person, that the card was opened or shown on their screen (the
    scoreboard's "seen"); it changes nothing else on the card."""
    query = select(CardAction.id).where(
        CardAction.card_id == card.id, CardAction.user_id == user.id, CardAction.action == "seen"
    )
    if db.session.scalar(query.limit(1)) is None:
        db.session.add(CardAction(card_id=card.id, user_id=user.id, action="seen", at=utcnow()))
        db.session.commit()
