"""Who gets a guest's card: the guest's host if on shift, else whoever covers the zone."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, func, select

from ..extensions import db
from ..guidance.issue import Route, RouteKind
from ..tables import Guest, IssuedCard, Shift, User
from ..tables.guidance import CardStatus
from .shifts import MAX_SHIFT
from .zones import zone_name

OPEN = [s for s in CardStatus if s.is_open]


def working(now, since=None):
    """Shifts under way now, of people whose accounts are enabled.

    Only shifts that started within the longest shift are read (SINCE, default now minus
    MAX_SHIFT), so months of roster history cost nothing on an arrival.
    """
    since = now - MAX_SHIFT if since is None else since
    return (
        select(Shift)
        .join(Shift.user)
        .where(Shift.starts_at > since, Shift.starts_at <= now, Shift.ends_at > now, User.enabled)
    )


@cache  # built once: it runs on every arrival
def _host_on_shift():
    mine = Shift.user_id == bindparam("user_id")
    shifts = working(bindparam("now"), bindparam("since"))
    return shifts.where(mine, Shift.is_manager.is_(False)).limit(1)


def hosts_on_shift(user_ids: Iterable[int], now: datetime) -> dict[int, Shift]:
    """A shift under way now (not as manager) of each of these people who has one: what
    `route_guest` looks up for a guest's own host, for a whole batch of arrivals at once."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    query = working(now).where(Shift.user_id.in_(ids), Shift.is_manager.is_(False))
    return {shift.user_id: shift for shift in db.session.scalars(query)}


def on_shift(now: datetime, *, manager: bool | None = None) -> list[Shift]:
    query = working(now)
    if manager is not None:
        query = query.where(Shift.is_manager == manager)
    return list(db.session.scalars(query))


def open_load(user_ids: list[int]) -> dict[int, int]:
    query = (
        select(IssuedCard.assignee_id, func.count())
        .where(IssuedCard.assignee_id.in_(user_ids), IssuedCard.status.in_(OPEN))
        .group_by(IssuedCard.assignee_id)
    )
    return dict(db.session.execute(query).all())


def route_guest(
    guest: Guest,
    zone: str | None,
    now: datetime,
    exclude: frozenset[int] = frozenset(),
    hosts: dict[int, Shift] | None = None,
) -> Route:
    """The assigned host on shift; else the least busy host covering the zone; else a manager.

    HOSTS: `hosts_on_shift` already read for a batch; a host found there whose shift covers
    NOW needs no query (anything else is looked up as without it)."""
    # The common case is one indexed lookup: a floor may have hundreds of people on shift.
    if guest.host_id is not None and guest.host_id not in exclude and hosts:
        shift = hosts.get(guest.host_id)
        if shift is not None and shift.starts_at <= now < shift.ends_at:
            return Route(shift.user, RouteKind.OWN_GUEST, "Your guest")
    if guest.host_id is not None and guest.host_id not in exclude:
        params = {"now": now, "since": now - MAX_SHIFT, "user_id": guest.host_id}
        shift = db.session.scalar(_host_on_shift(), params)
        if shift is not None:
            return Route(shift.user, RouteKind.OWN_GUEST, "Your guest")
    hosts = working(now).with_only_columns(Shift.user_id, Shift.zones).where(~Shift.is_manager)
    covering = [
        user_id
        for user_id, zones in db.session.execute(hosts)
        if zone in (zones or []) and user_id not in exclude
    ]
    if covering:
        load = open_load(covering)
        chosen = min(covering, key=lambda user_id: (load.get(user_id, 0), user_id))
        reason = (
            "their own host is off shift" if guest.host_id else "they have no host of their own"
        )
        where = zone_name(zone).lower()
        return Route(
            db.session.get(User, chosen), RouteKind.COVERING, f"Covering the {where}: {reason}"
        )
    managers = [s for s in on_shift(now, manager=True) if s.user_id not in exclude]
    if managers:
        where = zone_name(zone) if zone else "this zone"
        return Route(
            managers[0].user, RouteKind.MANAGER, f"Shift manager: no host on shift covers {where}"
        )
    return Route(None, RouteKind.NOBODY, "Nobody on shift: waiting for a host")
