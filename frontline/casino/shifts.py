"""Shifts: the resort's local time in, UTC stored; a person's shifts never overlap; who is on.

Routing (`routing.py`) reads the `shifts` table this module writes. Times typed by people or
sent without an offset are the resort's wall clock (FRONTLINE_TIMEZONE): a time the clocks
skip (spring forward) is refused, and one they pass twice (fall back) needs its offset.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import bindparam, select

from ..extensions import db
from ..tables import Role, Shift, User
from .zones import zone_names

#: No shift is longer; "who is on now" reads only shifts that started within it.
MAX_SHIFT = timedelta(hours=24)


class ShiftRefused(ValueError):
    """A shift that cannot be saved: `errors` maps each field to why."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{key}: {why}" for key, why in errors.items()))


@dataclass
class ShiftInput:
    user: User | None
    starts_at: datetime
    ends_at: datetime
    zones: list[str]
    is_manager: bool = False
    external_id: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


def resort_zone() -> ZoneInfo:
    return _zone(current_app.config.get("PROPERTY_TIMEZONE", "UTC"))


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def to_utc(moment: datetime, zone: ZoneInfo) -> datetime:
    """An instant in UTC; a time without an offset is the resort's wall clock."""
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    return _wall_clock(moment, zone)


@lru_cache(maxsize=4096)  # a roster repeats a few start times: 10,000 rows, ~100 conversions
def _wall_clock(moment: datetime, zone: ZoneInfo) -> datetime:
    early, late = moment.replace(tzinfo=zone, fold=0), moment.replace(tzinfo=zone, fold=1)
    if early.utcoffset() != late.utcoffset():
        shown = f"{moment:%Y-%m-%d %H:%M}"
        if early.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment:
            raise ValueError(f"{shown} does not exist in {zone.key}: the clocks go forward then")
        offsets = " or ".join(_offset(m) for m in (early, late))
        raise ValueError(
            f"{shown} happens twice in {zone.key} (the clocks go back): add its offset, {offsets}"
        )
    return early.astimezone(UTC)


def _offset(moment: datetime) -> str:
    text = moment.strftime("%z")
    return f"{text[:3]}:{text[3:]}"


def local(instant: datetime) -> datetime:
    return instant.astimezone(resort_zone())


def day_times(day: date, start: time, end: time, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A roster line: the day it starts, and an end at or before the start is the next day."""
    ends_on = day + timedelta(days=1) if end <= start else day
    return to_utc(datetime.combine(day, start), zone), to_utc(datetime.combine(ends_on, end), zone)


def parse_clock(text: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a time like 22:00") from None


def check(shift: ShiftInput, others: Iterable[Shift | ShiftInput] = ()) -> dict[str, str]:
    """Everything wrong with a shift, by field: who, when, where, and overlaps."""
    errors = dict(shift.errors)
    if shift.user is None:
        errors.setdefault("email", "unknown person")
    elif shift.user.role is not Role.HOST:
        errors["email"] = f"{shift.user.email} is a {shift.user.role.value}, not a host"
    elif not shift.user.enabled:
        errors["email"] = f"{shift.user.email} is disabled"
    timed = shift.starts_at is not None and shift.ends_at is not None
    if timed and "starts_at" not in errors and "ends_at" not in errors:
        length = shift.ends_at - shift.starts_at
        if length <= timedelta(0):
            errors["ends_at"] = "the shift must end after it starts"
        elif length > MAX_SHIFT:
            errors["ends_at"] = f"a shift lasts at most {MAX_SHIFT.total_seconds() / 3600:g} hours"
    known = zone_names()
    unknown = [z for z in shift.zones if z not in known]
    if unknown:
        errors["zones"] = f"unknown zone(s): {', '.join(unknown)}"
    elif not shift.zones:
        errors["zones"] = "name at least one zone"
    if timed and not errors:
        clash = next((o for o in others if _overlap(shift, o)), None)
        if clash is not None:
            errors["starts_at"] = f"overlaps {describe(clash)}"
    return errors


def _overlap(a, b) -> bool:
    return a.starts_at < b.ends_at and b.starts_at < a.ends_at


def when(shift: Shift | ShiftInput) -> str:
    """A shift's time as people say it, in the resort's time: `Sun 29 Nov 22:00-06:00`."""
    return f"{local(shift.starts_at):%a %d %b %H:%M}-{local(shift.ends_at):%H:%M}"


def describe(shift: Shift | ShiftInput) -> str:
    name = f" ({shift.external_id})" if shift.external_id else ""
    return f"the shift {when(shift)}{name}"


def shifts_of(user_id: int, near: datetime, excluding: int | None = None) -> list[Shift]:
    """The person's shifts that could overlap one starting near this instant."""
    query = select(Shift).where(
        Shift.user_id == user_id,
        Shift.starts_at < near + 2 * MAX_SHIFT,
        Shift.ends_at > near - 2 * MAX_SHIFT,
    )
    if excluding is not None:
        query = query.where(Shift.id != excluding)
    return list(db.session.scalars(query))


def save(data: ShiftInput, shift: Shift | None = None) -> tuple[Shift, bool]:
    """Create or replace a shift (by its external id, if any); raises ShiftRefused.

    Returns the shift and whether it was created. Saving the same shift again changes nothing.
    """
    if shift is None and data.external_id:
        shift = db.session.scalar(select(Shift).where(Shift.external_id == data.external_id))
    others = (
        shifts_of(data.user.id, data.starts_at, shift.id if shift else None) if data.user else []
    )
    errors = check(data, others)
    if errors:
        raise ShiftRefused(errors)
    created = shift is None
    if created:
        shift = Shift(external_id=data.external_id)
        db.session.add(shift)
    shift.user_id = data.user.id
    shift.starts_at, shift.ends_at = data.starts_at, data.ends_at
    shift.zones, shift.is_manager = sorted(set(data.zones)), data.is_manager
    db.session.flush()
    return shift, created


# -- who is on -------------------------------------------------------------------------------


@cache  # built once: the floor screens ask it all the time
def _working():
    now = bindparam("now")
    return (
        select(Shift.user_id, User.display_name, Shift.zones, Shift.is_manager, Shift.ends_at)
        .join(User, User.id == Shift.user_id)
        .where(
            Shift.starts_at > bindparam("since"),
            Shift.starts_at <= now,
            Shift.ends_at > now,
            User.enabled,
        )
        .order_by(User.display_name)
    )


@dataclass(frozen=True)
class OnShift:
    user_id: int
    name: str
    is_manager: bool
    ends_at: datetime


def on_now(now: datetime) -> dict[str, list[OnShift]]:
    """Every zone's people on shift now (managers last); one indexed query."""
    cover: dict[str, list[OnShift]] = defaultdict(list)
    rows = db.session.execute(_working(), {"now": now, "since": now - MAX_SHIFT})
    for user_id, name, zones, manager, ends_at in rows:
        for zone in zones or []:
            cover[zone].append(OnShift(user_id, name, manager, ends_at))
    for people in cover.values():
        people.sort(key=lambda p: (p.is_manager, p.name))
    return dict(cover)


@cache
def _working_in():
    # The JSON text holds the code in quotes: the database drops the other zones' shifts
    # (`_` in a code is a LIKE wildcard, so the list is checked again below).
    return _working().where(sa.cast(Shift.zones, sa.String).like(bindparam("quoted")))


def manager_on_duty(user_id: int, now: datetime) -> bool:
    """Whether the person works a shift manager's shift now (they may keep the roster)."""
    query = _working().where(Shift.user_id == user_id, Shift.is_manager).limit(1)
    return db.session.execute(query, {"now": now, "since": now - MAX_SHIFT}).first() is not None


def on_now_in(zone: str, now: datetime) -> list[OnShift]:
    """One zone's people on shift now (managers last); the floor screens' and the API's ask."""
    params = {"now": now, "since": now - MAX_SHIFT, "quoted": f'%"{zone}"%'}
    people = [
        OnShift(user_id, name, manager, ends_at)
        for user_id, name, zones, manager, ends_at in db.session.execute(_working_in(), params)
        if zone in (zones or [])
    ]
    return sorted(people, key=lambda p: (p.is_manager, p.name))


# -- the roster ------------------------------------------------------------------------------


def between(start: datetime, end: datetime) -> list[Shift]:
    """Shifts that touch [start, end), with their people, in start order."""
    query = (
        select(Shift)
        .join(Shift.user)
        .where(Shift.starts_at < end, Shift.ends_at > start, Shift.starts_at > start - MAX_SHIFT)
        .order_by(Shift.starts_at, User.display_name)
    )
    return list(db.session.scalars(query))


def local_day(day: date) -> tuple[datetime, datetime]:
    """The UTC instants a resort day starts and ends (23 or 25 hours on a DST change)."""
    zone = resort_zone()
    start = datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    return start, end


def gaps(day: date, shifts: list[Shift]) -> dict[str, list[tuple[datetime, datetime]]]:
    """Per zone, the stretches of the resort day no host covers (the manager gets those cards)."""
    start, end = local_day(day)
    found = {}
    for zone in zone_names():
        covered = sorted(
            (max(s.starts_at, start), min(s.ends_at, end))
            for s in shifts
            if zone in (s.zones or []) and not s.is_manager and s.user.enabled
        )
        holes, reached = [], start
        for begin, finish in covered:
            if begin > reached:
                holes.append((reached, begin))
            reached = max(reached, finish)
        if reached < end:
            holes.append((reached, end))
        found[zone] = holes
    return found


def overlaps(shifts: list[Shift]) -> set[int]:
    """Ids of shifts that overlap another of the same person's (older data; input refuses it)."""
    clashing: set[int] = set()
    by_person = defaultdict(list)
    for shift in shifts:
        by_person[shift.user_id].append(shift)
    for own in by_person.values():
        own.sort(key=lambda s: s.starts_at)
        for a, b in pairwise(own):
            if b.starts_at < a.ends_at:
                clashing |= {a.id, b.id}
    return clashing


def hosts() -> list[User]:
    query = select(User).where(User.role == Role.HOST, User.enabled).order_by(User.display_name)
    return list(db.session.scalars(query))
