"""Months of card history for the scoreboard: cards, taps and outcomes, inserted in bulk.

`fill(days, per_day, seed)` draws cards of the published packs' rules for the demo's hosts and
reps over the last DAYS days, each with the taps a floor makes (seen, acknowledged, acted,
dismissed with a reason, offers accepted) at rates that differ by rule, so the scoreboard has
something to compare; one rule's cards for gold guests (and small shippers) are dismissed far
more often, so the feedback section has a pattern to find. A host card the floor left open
ends expired, as the expiry job ends it (`CARD_EXPIRE_AFTER_HOURS` after it came in), so only
the last hours' cards are still open. Deterministic for a seed.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, insert, select

from ..extensions import db
from ..guidance.actions import expiry_note
from ..guidance.packs import published_pack
from ..tables import CardAction, CardStatus, Customer, Guest, IssuedCard, Role, User, utcnow

BATCH = 20_000
#: Tiers as the vocabulary spells them; the first of the second rule's cards is often dismissed.
TIERS = {
    "host": ("gold", "member", "platinum", "diamond", "black"),
    "rep": ("small", "standard", "large", "key"),
}
REASONS = ("not_here", "already_handled", "wrong_person", "not_appropriate")


def fill(days: int, per_day: int, seed: int = 7, now: datetime | None = None) -> int:
    """Add DAYS x PER_DAY cards with their taps; returns how many cards were added."""
    rng = random.Random(seed)
    now = now or utcnow()
    hours = current_app.config["CARD_EXPIRE_AFTER_HOURS"]
    sides = [side for side in (_side("host"), _side("rep")) if side is not None]
    if not sides:
        raise LookupError("no hosts or reps with subjects: load the demo world first")
    next_card = (db.session.scalar(select(func.max(IssuedCard.id))) or 0) + 1
    cards: list[dict] = []
    taps: list[dict] = []
    total = days * per_day
    for n in range(total):
        at = now - timedelta(seconds=rng.uniform(0, days * 86400))
        card, card_taps = _card(next_card + n, rng.choice(sides), at, rng)
        _expire(card, card_taps, hours, now)
        cards.append(card)
        taps.extend(card_taps)
        if len(cards) >= BATCH:
            _flush(cards, taps)
    _flush(cards, taps)
    db.session.commit()
    return total


def _flush(cards: list[dict], taps: list[dict]) -> None:
    if cards:
        db.session.execute(insert(IssuedCard), cards)
    if taps:
        db.session.execute(insert(CardAction), taps)
    cards.clear()
    taps.clear()


def _side(audience: str) -> tuple | None:
    role, subject = {"host": (Role.HOST, Guest), "rep": (Role.REP, Customer)}[audience]
    people = list(db.session.scalars(select(User.id).where(User.role == role)))
    subjects = list(db.session.scalars(select(subject.id)))
    if not people or not subjects:
        return None
    pack = published_pack(audience)
    rules = [rule for rule in pack.rules if not rule.suppress]
    return audience, pack, rules, people, subjects


def _card(card_id: int, side: tuple, at: datetime, rng: random.Random) -> tuple[dict, list]:
    audience, pack, rules, people, subjects = side
    index = rng.randrange(len(rules))
    rule = rules[index]
    tier = rng.choice(TIERS[audience])
    # Each rule its own appetite; the second rule's cards are dismissed for the first tier.
    dismiss = 0.12 + (0.5 if index == 1 and tier == TIERS[audience][0] else 0.0)
    assignee = rng.choice(people)
    card = {
        "id": card_id, "audience": audience,
        "subject_type": "guest" if audience == "host" else "customer",
        "subject_id": rng.choice(subjects), "rule_id": rule.id, "rule_title": rule.title,
        "pack_id": pack.id, "pack_version": pack.version, "model_versions": {},
        "facts": {"guest.tier" if audience == "host" else "customer.tier": tier},
        "priority": rule.priority, "headline": rule.title, "details": [],
        "actions": list(rule.card.actions), "offer": None, "status": CardStatus.OPEN,
        "assignee_id": assignee, "escalation_level": 0, "routing_note": "",
        "created_at": at, "updated_at": at,
    }  # fmt: skip
    taps = [_tap(card_id, None, "issued", at)]
    step = at
    for action, chance in (("seen", 0.8), ("acknowledge", 0.75)):
        if rng.random() > chance:
            return card, taps
        step += timedelta(seconds=rng.uniform(5, 120))
        taps.append(_tap(card_id, assignee, action, step))
    card.update(status=CardStatus.ACKNOWLEDGED)
    step += timedelta(seconds=rng.uniform(30, 900))
    if rng.random() < dismiss:
        card.update(status=CardStatus.DISMISSED, dismiss_reason=rng.choice(REASONS))
        taps.append(_tap(card_id, assignee, "not_relevant", step, card["dismiss_reason"]))
    elif rng.random() < 0.3 + 0.1 * (index % 4):
        done = "done" if audience == "host" else "call_logged"
        outcome = "accepted" if audience == "host" and rng.random() < 0.45 else None
        card.update(status=CardStatus.DONE, outcome=outcome)
        taps.append(_tap(card_id, assignee, done, step, outcome or ""))
    return card, taps


def _expire(card: dict, taps: list[dict], hours: float, now: datetime) -> None:
    """A host card still open HOURS after it came in ends as the expiry job would end it."""
    ends = card["created_at"] + timedelta(hours=hours)
    if card["audience"] == "host" and card["status"].is_open and ends <= now:
        card.update(status=CardStatus.EXPIRED, updated_at=ends)
        taps.append(_tap(card["id"], None, "expired", ends, expiry_note(hours)))


def _tap(card_id: int, user_id: int | None, action: str, at: datetime, detail: str = "") -> dict:
    return {"card_id": card_id, "user_id": user_id, "action": action, "detail": detail, "at": at}
