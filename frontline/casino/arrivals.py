"""From floor events to routed cards: stored with their events in one transaction, then pushed.

`store_events` takes a batch (the intake hands it whatever queued up meanwhile) and stores
it in one transaction: one query finds the ids already received, one the guests, five what
their arrivals read (`_BatchReads`), and each arrival then builds its facts, evaluates the
host pack and routes its cards without a query, so the rows go out together at commit. An
event that names an unknown guest or reuses an id with another body gets its own error and
writes nothing; any other failure rolls the whole batch back and raises. After the commit,
`signal_receipts` tells the phones of the cards' owners.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..guidance.issue import assignees, cooldown_histories, issue_cards, signal
from ..tables import Event, Guest, IssuedCard, Shift, utcnow
from .guest_facts import Known, guest_facts, known_for
from .routing import hosts_on_shift, route_guest

log = logging.getLogger(__name__)

#: An arrival this soon after the guest was last seen continues the same visit.
SAME_VISIT = timedelta(hours=6)


class EventConflict(Exception):
    """The event id was used before with a different body."""


class UnknownGuest(LookupError):
    """The event names a guest Frontline does not know."""


@dataclass(frozen=True)
class Incoming:
    """A validated event body and the integration that sent it."""

    payload: dict[str, Any]
    sender: str = ""


@dataclass(frozen=True)
class Receipt:
    event_id: str
    created: bool
    cards: int = 0
    assignees: frozenset[int] = frozenset()  # whose phones to signal: the cards' owners


Outcome = Receipt | EventConflict | UnknownGuest


def body_hash(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def store_events(batch: list[Incoming]) -> list[Outcome]:
    """Store each new event once and act on it; the same id twice changes nothing. Once this
    returns (committed), signal the receipts' assignees (`signal_receipts`): the intake does,
    in the worker, wherever the batch was stored."""
    outcomes: list[Outcome] = []
    try:
        seen = _received([item.payload["id"] for item in batch])
        guests = _guests({item.payload["guest_id"] for item in batch})
        reads = _BatchReads.of(guests.values(), utcnow())
        for item in batch:
            payload, digest = item.payload, body_hash(item.payload)
            earlier = seen.get(payload["id"])
            if earlier is not None:
                outcomes.append(_repeat(payload["id"], earlier, digest))
                continue
            guest = guests.get(payload["guest_id"])
            if guest is None:
                outcomes.append(UnknownGuest(payload["guest_id"]))
                continue
            event = _event(payload, guest, digest, item.sender)
            db.session.add(event)
            seen[event.external_id] = digest  # a second copy in this batch is a repeat
            cards = act_on(event, guest, reads)
            owners = frozenset(assignees(cards))
            outcomes.append(Receipt(event.external_id, True, len(cards), owners))
        db.session.commit()
    except Exception:
        db.session.rollback()  # on PostgreSQL a failed statement aborts the transaction
        raise
    return outcomes


def signal_receipts(outcomes: Iterable[object]) -> None:
    """Tell the phones of everyone the stored events gave a card (after the commit)."""
    owners = set().union(*(o.assignees for o in outcomes if isinstance(o, Receipt)))
    try:
        signal(owners)
    except Exception:  # stored is stored: the phones resync on their next connect
        log.exception("signalling %s after storing events failed", sorted(owners))


def _received(ids: list[str]) -> dict[str, str]:
    """Body hash by id, of the events among IDS already stored."""
    return dict(db.session.execute(_received_statement(), {"ids": sorted(set(ids))}).all())


def _guests(external_ids: set[str]) -> dict[str, Guest]:
    """The guests named, with their hosts; locked until commit where the database can
    (PostgreSQL), so two workers take one guest's events in turn and cooldowns hold."""
    found = db.session.scalars(_guests_statement(), {"ids": sorted(external_ids)})
    return {guest.external_id: guest for guest in found}


# The two statements every batch runs, built once (building costs more than running them).
@cache
def _received_statement():
    ids = bindparam("ids", expanding=True)
    return select(Event.external_id, Event.body_hash).where(Event.external_id.in_(ids))


@cache
def _guests_statement():
    return (
        select(Guest)
        .options(joinedload(Guest.host))
        .where(Guest.external_id.in_(bindparam("ids", expanding=True)))
        .order_by(Guest.id)
        .with_for_update(of=Guest)
    )


@dataclass(frozen=True)
class _BatchReads:
    """Everything the arrivals of a batch read, read once for all of its guests before the
    first of them is acted on: with no query between them, the batch's rows go to the
    database together at commit (a few multi-row statements) instead of a handful of round
    trips per arrival. Nothing read here is written by an arrival except cooldowns, which
    `issue_cards` keeps current as it issues."""

    known: Known
    cooldowns: dict[int, dict[str, datetime]]
    hosts: dict[int, Shift]

    @classmethod
    def of(cls, guests: Iterable[Guest], now: datetime) -> _BatchReads:
        guests = list(guests)
        ids = [guest.id for guest in guests]
        return cls(
            known_for(ids, now),
            cooldown_histories("guest", ids),
            hosts_on_shift({g.host_id for g in guests if g.host_id is not None}, now),
        )


def _event(payload: dict[str, Any], guest: Guest, digest: str, sender: str) -> Event:
    return Event(
        external_id=payload["id"],
        type=payload["type"],
        source=payload["source"],
        occurred_at=payload["occurred_at"],
        guest_id=guest.id,
        zone=(payload.get("location") or {}).get("zone"),
        body_hash=digest,
        sender=sender,
    )


def _repeat(event_id: str, stored_hash: str, digest: str) -> Outcome:
    if stored_hash != digest:
        return EventConflict(event_id)
    return Receipt(event_id, False)


def act_on(event: Event, guest: Guest, reads: _BatchReads) -> list[IssuedCard]:
    """Move the guest (if this is its newest sighting), and on an arrival evaluate the host
    pack and route its cards (READS: what its batch read for it already)."""
    now = utcnow()
    arriving = event.type == "guest.arrived"
    if guest.last_seen_at is None or event.occurred_at >= guest.last_seen_at:
        # Only the newest sighting moves the guest: a beacon reading that arrives late
        # (networks retry) is stored, but must not put the guest back where they were.
        if arriving and not _same_visit(guest, event.occurred_at):
            guest.visit_started_at = event.occurred_at
        guest.on_property = event.type != "guest.left"
        guest.current_zone = event.zone if guest.on_property else None
        guest.last_seen_at = event.occurred_at
    if not arriving or not guest.on_property:
        return []  # a late arrival of a guest who has left since makes no card
    facts, versions = guest_facts(guest, event, now, reads.known)
    return issue_cards(
        "host", "guest", guest.id, facts, versions,
        lambda: route_guest(guest, event.zone, now, hosts=reads.hosts), now=now, event=event,
        fold=True, cooldowns=reads.cooldowns.setdefault(guest.id, {}),
    )  # fmt: skip


def _same_visit(guest: Guest, at: datetime) -> bool:
    return (
        guest.on_property
        and guest.last_seen_at is not None
        and guest.visit_started_at is not None
        and at - guest.last_seen_at < SAME_VISIT
    )
