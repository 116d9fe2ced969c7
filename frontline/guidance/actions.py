"""One-tap actions on a card: each moves its status and is recorded with a timestamp."""

from __future__ import annotations

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
}
#: How far along each status is: a tap may only move a card further.
PROGRESS = {
    CardStatus.OPEN: 0,
    CardStatus.ACKNOWLEDGED: 1,
    CardStatus.ON_MY_WAY: 2,
    CardStatus.DONE: 3,
    CardStatus.DISMISSED: 3,
}


def next_actions(card: IssuedCard) -> list[str]:
    """The card's actions that still move it forward, in the card's order."""
    here = PROGRESS[card.status]
    return [a for a in card.actions if a in MOVES and PROGRESS[MOVES[a]] > here]


# <<< screens


def tap(card: IssuedCard, user: User, action: str, outcome: str = "", reason: str = "") -> None:
    """Apply a tap, record it, commit, and tell the assignee's other phones."""
    if action not in card.actions or action not in MOVES:
        raise ActionRefused(f"{action!r} is not an action of this card")
    if not card.status.is_open or action not in next_actions(card):  # screens (issue 14)
        raise ActionRefused(f"this card is already {STATUS_WORDS[card.status].lower()}")
    detail = _detail(card, action, outcome, reason)
    card.status = MOVES[action]
    card.taps.append(CardAction(user_id=user.id, action=action, detail=detail, at=utcnow()))
    db.session.commit()
    push.publish(push.user_channel(user.id), "inbox", "changed")


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
