"""Which rep owns which lanes and accounts (read by `cargo/accounts.py`'s ownership rule).

Codes come typed or from a CSV cell, separated by semicolons or commas: `HKG-FRA; PVG-ORD`.
"""

from __future__ import annotations

import re

from sqlalchemy import select, update

from ..extensions import db
from ..tables import Customer, Lane, Role, User
from . import audit
from .staff import PersonRefused


def codes(text: str) -> list[str]:
    return [c for c in (part.strip().upper() for part in re.split(r"[;,\s]+", text or "")) if c]


def owned(person: User) -> tuple[list[str], list[str]]:
    """The person's lane codes and account (customer) codes."""
    lanes = db.session.scalars(
        select(Lane.code).where(Lane.rep_id == person.id).order_by(Lane.code)
    )
    accounts = db.session.scalars(
        select(Customer.code).where(Customer.rep_id == person.id).order_by(Customer.code)
    )
    return list(lanes), list(accounts)


def resolve(lane_text: str, account_text: str) -> tuple[list[int], list[int]]:
    """Lane and customer ids for the codes typed; raises PersonRefused naming unknown ones."""
    errors = {}
    found = []
    for field, table, text in (("lanes", Lane, lane_text), ("accounts", Customer, account_text)):
        wanted = codes(text)
        rows = db.session.execute(select(table.code, table.id).where(table.code.in_(wanted)))
        ids = dict(rows.all())
        unknown = [c for c in wanted if c not in ids]
        if unknown:
            errors[field] = f"unknown {field[:-1]} code(s): {', '.join(unknown)}"
        found.append([ids[c] for c in wanted if c in ids])
    if errors:
        raise PersonRefused(errors)
    return found[0], found[1]


def assign(actor: User | None, rep: User, lane_ids: list[int], account_ids: list[int]) -> str:
    """Make exactly these the rep's lanes and accounts (taking them from whoever had them)."""
    if (lane_ids or account_ids) and rep.role is not Role.REP:
        raise PersonRefused({"lanes": "only reps own lanes and accounts"})
    before = owned(rep)
    for table, ids in ((Lane, lane_ids), (Customer, account_ids)):
        db.session.execute(
            update(table).where(table.rep_id == rep.id, table.id.not_in(ids)).values(rep_id=None)
        )
        if ids:
            db.session.execute(update(table).where(table.id.in_(ids)).values(rep_id=rep.id))
    after = owned(rep)
    if after == before:
        return ""
    detail = f"lanes: {', '.join(after[0]) or 'none'}; accounts: {', '.join(after[1]) or 'none'}"
    audit.record(actor, rep, "ownership", detail)
    return detail
