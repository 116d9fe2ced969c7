"""Who gets a guest's card: the guest's host if on shift, else whoever covers the zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ..extensions import db
from ..tables import Guest, GuidanceCard, Shift, User, Zone
from ..tables.guidance import CardStatus

OPEN = [s for s in CardStatus if s.is_open]


@dataclass(frozen=True)
class Route:
    user: User | None
    note: str


def on_shift(now: datetime, *, manager: bool | None = None) -> list[Shift]:
    query = (
        select(Shift)
        .join(Shift.user)
        .where(Shift.starts_at <= now, Shift.ends_at > now, User.enabled)
    )
    if manager is not None:
        query = query.where(Shift.is_manager == manager)
    return list(db.session.scalars(query))


def open_load(user_ids: list[int]) -> dict[int, int]:
    query = (
        select(GuidanceCard.assignee_id, func.count())
        .where(GuidanceCard.assignee_id.in_(user_ids), GuidanceCard.status.in_(OPEN))
        .group_by(GuidanceCard.assignee_id)
    )
    return dict(db.session.execute(query).all())


def zone_name(code: str) -> str:
    return db.session.scalar(select(Zone.name).where(Zone.code == code)) or code


def route_guest(
    guest: Guest, zone: str | None, now: datetime, exclude: set[int] = frozenset()
) -> Route:
    """The assigned host on shift; else the least busy host covering the zone; else a manager."""
    shifts = [s for s in on_shift(now) if s.user_id not in exclude]
    hosts = {s.user_id: s for s in shifts if not s.is_manager}
    if guest.host_id in hosts:
        return Route(hosts[guest.host_id].user, "Your guest")
    covering = [s for s in hosts.values() if zone and zone in s.zones]
    if covering:
        load = open_load([s.user_id for s in covering])
        chosen = min(covering, key=lambda s: (load.get(s.user_id, 0), s.user_id))
        reason = "their host is off shift" if guest.host_id else "no host is coded to this guest"
        return Route(chosen.user, f"Covering the {zone_name(zone).lower()}: {reason}")
    managers = [s for s in shifts if s.is_manager]
    if managers:
        return Route(
            managers[0].user, f"Shift manager: no host on shift covers {zone or 'this zone'}"
        )
    return Route(None, "Nobody on shift: waiting for a host")
