"""`frontline import shifts FILE.csv`: a workforce-scheduling export, all rows or none.

Columns: shift_id, email, date, start, end, zones (`spa; pool`), manager (yes/no). Times are
the resort's wall clock; an end at or before the start is the next morning. A known shift_id
replaces that shift, so the same export imported twice changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from sqlalchemy import insert, select

from ..extensions import db
from ..imports import Column, ImportFailed, RowError, read_rows
from ..imports import parsers as p
from ..tables import Shift, User
from . import shifts as s

#: Which CSV column a refused field came from.
COLUMN = {"email": "email", "starts_at": "start", "ends_at": "end", "zones": "zones"}


def columns() -> list[Column]:
    return [
        Column("shift_id", p.text(64)),
        Column("email", p.email),
        # Dates and times are read with the row (below), so a bad time and an overlap
        # elsewhere are reported together.
        Column("date", str),
        Column("start", str),
        Column("end", str),
        Column("zones", p.tags),
        Column("manager", p.boolean, required=False, default=False),
    ]


def import_shifts(path: str | Path) -> tuple[int, int]:
    """Create or replace shifts by shift_id; returns (created, replaced)."""
    rows = read_rows(path, columns())
    wanted, errors = _inputs(rows)
    existing = {
        x.external_id: x
        for x in db.session.scalars(
            select(Shift).where(Shift.external_id.in_([w.external_id for _, w in wanted]))
        )
    }
    _check_all(wanted, existing, errors, str(path))
    new = []
    for _line, data in wanted:
        values = {
            "user_id": data.user.id,
            "starts_at": data.starts_at,
            "ends_at": data.ends_at,
            "zones": sorted(set(data.zones)),
            "is_manager": data.is_manager,
        }
        shift = existing.get(data.external_id)
        if shift is None:
            new.append(values | {"external_id": data.external_id})
        else:
            for key, value in values.items():
                setattr(shift, key, value)
    if new:
        db.session.execute(insert(Shift), new)
    db.session.commit()
    return len(new), len(wanted) - len(new)


def _inputs(rows) -> tuple[list[tuple[int, s.ShiftInput]], list[RowError]]:
    # Rows, not objects: the checks read id, e-mail, role and enabled (10,000 rows stay fast).
    people = {
        row.email: row
        for row in db.session.execute(select(User.id, User.email, User.role, User.enabled))
    }
    zone = s.resort_zone()
    errors, seen, wanted = [], {}, []
    for line, row in rows:
        if row["shift_id"] in seen:
            errors.append(RowError(line, "shift_id", f"also on line {seen[row['shift_id']]}"))
        seen.setdefault(row["shift_id"], line)
        data = s.ShiftInput(
            user=people.get(row["email"]),
            starts_at=None,
            ends_at=None,
            zones=row["zones"],
            is_manager=row["manager"],
            external_id=row["shift_id"],
        )
        if data.user is None:
            data.errors["email"] = f"unknown e-mail {row['email']!r}"
        data.starts_at, data.ends_at = _times(line, row, zone, errors)
        wanted.append((line, data))
    return wanted, errors


def _times(line: int, row: dict, zone, errors: list[RowError]):
    """The row's instants in UTC, or (None, None) with the reason by column."""
    try:
        day = p.iso_date(row["date"])
    except ValueError as error:
        errors.append(RowError(line, "date", str(error)))
        return None, None
    clocks = {}
    for column in ("start", "end"):
        try:
            clocks[column] = s.parse_clock(row[column])
        except ValueError as error:
            errors.append(RowError(line, column, str(error)))
    if len(clocks) < 2:
        return None, None
    try:
        return s.day_times(day, clocks["start"], clocks["end"], zone)
    except ValueError as error:
        errors.append(RowError(line, "start", str(error)))
        return None, None


def _check_all(wanted, existing: dict[str, Shift], errors: list[RowError], source: str) -> None:
    """Each row on its own, then overlaps: within the file, and with shifts already stored."""
    replaced = {x.id for x in existing.values()}
    stored = defaultdict(list)
    user_ids = {data.user.id for _, data in wanted if data.user is not None}
    timed = [data.starts_at for _, data in wanted if data.starts_at is not None]
    if timed:
        query = select(Shift).where(
            Shift.user_id.in_(user_ids),
            Shift.ends_at > min(timed) - s.MAX_SHIFT,
            Shift.starts_at < max(timed) + 2 * s.MAX_SHIFT,
        )
        for shift in db.session.scalars(query):
            if shift.id not in replaced:
                stored[shift.user_id].append(shift)
    accepted = defaultdict(list)
    for line, data in wanted:
        others = stored[data.user.id] + accepted[data.user.id] if data.user else []
        problems = s.check(data, others)
        errors += [RowError(line, COLUMN.get(f, f), why) for f, why in problems.items()]
        if not problems and data.starts_at is not None:
            accepted[data.user.id].append(data)
    if errors:
        raise ImportFailed(source, sorted(errors, key=lambda e: e.line))
