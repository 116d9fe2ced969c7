"""Guests and visits from CSV (columns in docs/imports.md); all rows or none."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from ..tables import Guest, GuestTier, Role, User, Visit, Zone
from . import parsers as p
from .csvfile import Column, read_rows


def guest_columns() -> list[Column]:
    hosts = {u.email: u.id for u in db.session.scalars(select(User).where(User.role == Role.HOST))}
    return [
        Column("external_id", p.text(64)),
        Column("name", p.text(120)),
        Column("tier", p.choice(t.value for t in GuestTier)),
        Column("host_email", p.known(hosts, "host", fold=True), required=False),
        Column("cuisines", p.tags, required=False, default=[]),
        Column("drinks", p.tags, required=False, default=[]),
        Column("interests", p.tags, required=False, default=[]),
        Column("self_excluded", p.boolean, required=False, default=False),
        Column("do_not_market", p.boolean, required=False, default=False),
        Column("notes", p.text(2000), required=False, default=""),
    ]


def visit_columns() -> list[Column]:
    guests = dict(db.session.execute(select(Guest.external_id, Guest.id)).all())
    zones = {code: code for code in db.session.scalars(select(Zone.code))}
    return [
        Column("guest_id", p.known(guests, "guest")),
        Column("visit_date", p.iso_date),
        Column("zone", p.known(zones, "zone", fold=True)),
        Column("spend", p.money()),
        Column("theo_win", p.money()),
        Column("rating", p.integer(1, 5), required=False),
        Column("complaint", p.text(2000), required=False),
    ]


def import_guests(path: str | Path) -> tuple[int, int]:
    """Create or update guests by external id; returns (created, updated)."""
    rows = read_rows(path, guest_columns())
    existing = {g.external_id: g for g in db.session.scalars(select(Guest))}
    created = 0
    for _line, row in rows:
        guest = existing.get(row["external_id"])
        if guest is None:
            guest = existing[row["external_id"]] = Guest(external_id=row["external_id"])
            db.session.add(guest)
            created += 1
        host_id = row.pop("host_email")
        for key, value in row.items():
            setattr(guest, key, GuestTier(value) if key == "tier" else value)
        guest.host_id = host_id
    db.session.commit()
    return created, len(rows) - created


def import_visits(path: str | Path) -> int:
    """Append visits; returns how many."""
    rows = read_rows(path, visit_columns())
    db.session.add_all(Visit(**{**row, "guest_id": row["guest_id"]}) for _line, row in rows)
    db.session.commit()
    return len(rows)
