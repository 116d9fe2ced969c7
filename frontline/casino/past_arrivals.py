"""Past arrivals logged as the live path logs them, so a new install's workbench has history.

A backtest replays the evaluation log; on a fresh demo world that log is empty until the floor
has run for a while. `log_past_arrivals` takes floor events shaped as an integration sends them
(guest, zone, source), spreads them over the last DAYS in time order, builds each guest's facts
with the live `guest_facts`, evaluates the published host pack with each guest's cooldown
history kept as the live path keeps it, and logs every evaluation with the cards it would have
shown. No card is issued and no one is alerted: this is history for analysts, nothing more.
The guest's visits are read as they are today (a past arrival sees the year's visits up to
now), which is the one way these facts differ from what the floor would have seen then.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

import guidance_rules

from ..extensions import db
from ..guidance import evaluations
from ..guidance.packs import published_pack
from ..tables import Event, Guest, utcnow
from .guest_facts import guest_facts

COMMIT_EVERY = 500


def log_past_arrivals(
    floor_events: Iterator[dict[str, Any]], count: int, days: int, seed: int = 7,
    now: datetime | None = None,
) -> int:  # fmt: skip
    """Log COUNT of FLOOR_EVENTS as arrivals over the last DAYS; returns how many were logged."""
    now = now or utcnow()
    rng = random.Random(seed)
    moments = sorted(now - timedelta(seconds=rng.uniform(60, days * 86400)) for _ in range(count))
    guests = {g.external_id: g for g in db.session.scalars(select(Guest))}
    pack = published_pack("host")
    cooldowns: dict[int, dict[str, datetime]] = defaultdict(dict)
    logged = 0
    for at, sent in zip(moments, _known(floor_events, guests), strict=False):
        guest = guests[sent["guest_id"]]
        event = Event(type=sent["type"], source=sent["source"], zone=sent["location"]["zone"])
        event.occurred_at = at  # a transient row: never added to the session
        facts, _versions = guest_facts(guest, event, at)
        history = cooldowns[guest.id]
        cards = guidance_rules.evaluate(pack, facts, history)
        for card in cards:
            if card.cooldown_key:
                history[card.cooldown_key] = at
        evaluations.record(pack, "guest", guest.id, facts, cards, at)
        logged += 1
        if logged % COMMIT_EVERY == 0:
            db.session.commit()
    db.session.commit()
    return logged


def _known(floor_events: Iterable[dict[str, Any]], guests: dict[str, Guest]) -> Iterator[dict]:
    return (sent for sent in floor_events if sent["guest_id"] in guests)
