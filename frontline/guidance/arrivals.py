"""From a floor event to routed cards: stored with the event in one transaction, then pushed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..tables import Event, Guest, GuidanceCard, utcnow
from .guest_facts import guest_facts
from .issue import assignees, issue_cards, signal
from .routing import route_guest

#: An arrival this soon after the guest was last seen continues the same visit.
SAME_VISIT = timedelta(hours=6)


class EventConflict(Exception):
    """The event id was used before with a different body."""


class UnknownGuest(LookupError):
    """The event names a guest Frontline does not know."""


@dataclass(frozen=True)
class Receipt:
    event: Event
    created: bool
    cards: tuple[GuidanceCard, ...] = ()


def body_hash(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def receive(payload: dict[str, Any], sender: str = "") -> Receipt:
    """Store a validated event once and act on it; the same id twice changes nothing."""
    digest = body_hash(payload)
    existing = db.session.scalar(select(Event).where(Event.external_id == payload["id"]))
    if existing is not None:
        return _repeat(existing, digest)
    guest = db.session.scalar(select(Guest).where(Guest.external_id == payload["guest_id"]))
    if guest is None:
        raise UnknownGuest(payload["guest_id"])
    event = Event(
        external_id=payload["id"],
        type=payload["type"],
        source=payload["source"],
        occurred_at=payload["occurred_at"],
        guest_id=guest.id,
        zone=(payload.get("location") or {}).get("zone"),
        body_hash=digest,
        sender=sender,
    )
    try:
        db.session.add(event)
        db.session.flush()  # the unique id is claimed here; a concurrent copy waits or fails
        cards = act_on(event, guest)
        db.session.flush()
        owners = assignees(cards)  # read before the commit expires them
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        winner = db.session.scalar(select(Event).where(Event.external_id == payload["id"]))
        if winner is None:
            raise
        return _repeat(winner, digest)
    except Exception:
        db.session.rollback()
        raise
    signal(owners)
    return Receipt(event, True, tuple(cards))


def _repeat(existing: Event, digest: str) -> Receipt:
    if existing.body_hash != digest:
        raise EventConflict(existing.external_id)
    return Receipt(existing, False)


def act_on(event: Event, guest: Guest) -> list[GuidanceCard]:
    """Move the guest, and on an arrival evaluate the host pack and route its cards."""
    now = utcnow()
    arriving = event.type == "guest.arrived"
    if arriving and not _same_visit(guest, event.occurred_at):
        guest.visit_started_at = event.occurred_at
    guest.on_property = event.type != "guest.left"
    guest.current_zone = event.zone if guest.on_property else None
    guest.last_seen_at = max(event.occurred_at, guest.last_seen_at or event.occurred_at)
    if not arriving:
        return []
    facts, versions = guest_facts(guest, event, now)
    return issue_cards(
        "host", "guest", guest.id, facts, versions,
        lambda: route_guest(guest, event.zone, now), now=now, event=event,
    )  # fmt: skip


def _same_visit(guest: Guest, at: datetime) -> bool:
    return (
        guest.on_property
        and guest.last_seen_at is not None
        and guest.visit_started_at is not None
        and at - guest.last_seen_at < SAME_VISIT
    )
