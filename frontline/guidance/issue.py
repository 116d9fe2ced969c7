"""Turn the cards a pack shows into stored cards that keep their why."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, select

import guidance_rules

from .. import push
from ..extensions import db
from ..tables import CardAction, Event, HeldOutCard, IssuedCard, User
from . import evaluations
from .packs import published_pack
from .values import facts_to_json, to_json


class RouteKind(enum.Enum):
    """Why a card went to its person; code decides on this, people read the note."""

    OWN_GUEST = "own_guest"
    COVERING = "covering"
    MANAGER = "manager"
    NOBODY = "nobody"
    LANE = "lane"
    ACCOUNT = "account"


@dataclass(frozen=True)
class Route:
    """Who gets a card (None: nobody yet), why in code, and the note a person reads."""

    user: User | None
    kind: RouteKind
    note: str


@cache  # built once: it runs on every arrival
def _cooldowns():
    return (
        select(IssuedCard.subject_id, IssuedCard.cooldown_key, func.max(IssuedCard.created_at))
        .where(
            IssuedCard.subject_type == bindparam("subject_type"),
            IssuedCard.subject_id.in_(bindparam("ids", expanding=True)),
            IssuedCard.cooldown_key.is_not(None),
        )
        .group_by(IssuedCard.subject_id, IssuedCard.cooldown_key)
    )


def cooldown_history(subject_type: str, subject_id: int) -> dict[str, datetime]:
    """When each cooldown key last produced a card for this subject (pure input to the engine)."""
    return cooldown_histories(subject_type, [subject_id]).get(subject_id, {})


def cooldown_histories(
    subject_type: str, subject_ids: Iterable[int]
) -> dict[int, dict[str, datetime]]:
    """`cooldown_history` of many subjects in two queries: {subject id: {key: last card}}."""
    params = {"subject_type": subject_type, "ids": sorted(set(subject_ids))}
    histories: dict[int, dict[str, datetime]] = {}
    for subject_id, key, at in db.session.execute(_cooldowns(), params):
        histories.setdefault(subject_id, {})[key] = at
    # >>> screens (issue 14): rules folded into one alert keep their cooldowns
    for subject_id, also_fired, at in db.session.execute(_folded_cooldowns(), params):
        history = histories.setdefault(subject_id, {})
        for rule in also_fired:
            _note(history, rule.get("cooldown_key"), at)
    # <<< screens
    return histories


def _note(history: dict[str, datetime], key: str | None, at: datetime) -> None:
    if key and (key not in history or history[key] < at):
        history[key] = at


def note_cooldowns(history: dict[str, datetime], cards: list[IssuedCard]) -> None:
    """Add cards just issued (not yet in the database) to a subject's cooldown history."""
    for card in cards:
        _note(history, card.cooldown_key, card.created_at)
        for rule in card.also_fired or []:
            _note(history, rule.get("cooldown_key"), card.created_at)


# >>> screens (issue 14): one alert per arrival
@cache
def _folded_cooldowns():
    return select(IssuedCard.subject_id, IssuedCard.also_fired, IssuedCard.created_at).where(
        IssuedCard.subject_type == bindparam("subject_type"),
        IssuedCard.subject_id.in_(bindparam("ids", expanding=True)),
        IssuedCard.also_fired.is_not(None),
    )


#: The order a card's buttons are offered in (and a folded alert's actions are merged in).
ACTION_ORDER = ["acknowledge", "on_my_way", "done", "call_logged", "offer_sent", "not_relevant"]


def one_alert(shown: list[guidance_rules.Card]) -> tuple[guidance_rules.Card, list[dict]]:
    """Cards shown for one arrival (best first) as one alert: the best card's headline, the
    others as lines inside it, one offer (the best card's that has one), every action."""
    top, others = shown[0], shown[1:]
    offer = next((card.offer for card in shown if card.offer is not None), None)
    actions = {action for card in shown for action in card.actions}
    if offer is not None:
        actions.add("done")
    folded = guidance_rules.Card(
        rule_id=top.rule_id,
        rule_title=top.rule_title,
        pack_id=top.pack_id,
        pack_version=top.pack_version,
        audience=top.audience,
        priority=top.priority,
        headline=top.headline,
        details=[*top.details, *(card.headline for card in others)],
        actions=sorted(actions, key=_action_rank),
        offer=offer,
        facts_read={name: v for card in shown for name, v in card.facts_read.items()},
        cooldown_key=top.cooldown_key,
    )
    also = [
        {
            "rule_id": card.rule_id,
            "rule_title": card.rule_title,
            "pack_version": card.pack_version,
            "headline": card.headline,
            "cooldown_key": card.cooldown_key,
        }
        for card in others
    ]
    return folded, also


def _action_rank(action: str) -> int:
    return ACTION_ORDER.index(action) if action in ACTION_ORDER else len(ACTION_ORDER)


# <<< screens


def issue_cards(
    audience: str,
    subject_type: str,
    subject_id: int,
    facts: dict[str, Any],
    versions: dict[str, str],
    route: Callable[[], Route],
    *,
    now: datetime,
    event: Event | None = None,
    fold: bool = False,
    cooldowns: dict[str, datetime] | None = None,
) -> list[IssuedCard]:
    """Evaluate the published pack and add its cards to the session (the caller commits);
    with FOLD, everything shown becomes one alert (a guest's arrival). COOLDOWNS: the
    subject's `cooldown_history` already read (a batch's); the cards issued are added to it,
    so a later event of the same batch sees them."""
    pack = published_pack(audience)
    if cooldowns is None:
        cooldowns = cooldown_history(subject_type, subject_id)
    shown = guidance_rules.evaluate(pack, facts, cooldowns)
    shown = hold_out(pack, subject_type, subject_id, shown, now, event)
    evaluations.record(pack, subject_type, subject_id, facts, shown, now)
    if not shown:
        return []
    destination = route()
    # >>> screens (issue 14): one alert per arrival
    if fold:
        top, also = one_alert(shown)
        card = stored_card(top, subject_type, subject_id, versions, destination, now, event)
        card.also_fired = also or None
        db.session.add(card)
        note_cooldowns(cooldowns, [card])
        return [card]
    # <<< screens
    cards = [
        stored_card(card, subject_type, subject_id, versions, destination, now, event)
        for card in shown
    ]
    db.session.add_all(cards)
    note_cooldowns(cooldowns, cards)
    return cards


# -- holdout (scoreboard, #13) ----------------------------------------------------------------
def hold_out(
    pack: guidance_rules.Pack,
    subject_type: str,
    subject_id: int,
    cards: list[guidance_rules.Card],
    now: datetime,
    event: Event | None = None,
) -> list[guidance_rules.Card]:
    """The cards to show: a card whose subject is in its rule's holdout is logged as held out
    (in the caller's transaction) and not shown, so the scoreboard can measure what it changes."""
    shown, kept_back = guidance_rules.split_held_out(pack, subject_id, cards)
    for card in kept_back:
        db.session.add(
            HeldOutCard(
                audience=card.audience, subject_type=subject_type, subject_id=subject_id,
                event=event, rule_id=card.rule_id, pack_id=card.pack_id,
                pack_version=card.pack_version, headline=card.headline,
                facts=facts_to_json(card.facts_read), at=now,
            )
        )  # fmt: skip
    return shown


# -- end of holdout ----------------------------------------------------------------------------


def stored_card(
    card: guidance_rules.Card,
    subject_type: str,
    subject_id: int,
    versions: dict[str, str],
    destination: Route,
    now: datetime,
    event: Event | None,
) -> IssuedCard:
    read = set(card.facts_read)
    return IssuedCard(
        audience=card.audience,
        subject_type=subject_type,
        subject_id=subject_id,
        event=event,
        rule_id=card.rule_id,
        rule_title=card.rule_title,
        pack_id=card.pack_id,
        pack_version=card.pack_version,
        model_versions={name: v for name, v in versions.items() if name in read},
        facts=facts_to_json(card.facts_read),
        cooldown_key=card.cooldown_key,
        priority=card.priority,
        headline=card.headline,
        details=list(card.details),
        actions=list(card.actions),
        offer=offer_json(card.offer),
        assignee=destination.user,
        routing_note=destination.note,
        created_at=now,
        taps=[CardAction(action="issued", detail=destination.note, at=now)],
    )


def offer_json(offer: guidance_rules.Offer | None) -> dict | None:
    if offer is None:
        return None
    return {
        "type": offer.type,
        "description": offer.description,
        "max_value": to_json(offer.max_value),
    }


def assignees(cards: list[IssuedCard]) -> set[int]:
    """Whose phones to signal: read before the commit expires the cards (flushed or not)."""
    return {c.assignee.id for c in cards if c.assignee is not None}


def signal(user_ids: set[int]) -> None:
    """Tell each person's phones to resync their inbox (after the commit, never before)."""
    push.publish_many([push.user_channel(user_id) for user_id in sorted(user_ids)], "inbox", "new")
    push.web.announce(user_ids)  # lock screens: queued, sent by a background thread
