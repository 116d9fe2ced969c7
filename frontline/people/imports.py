"""`frontline import users FILE.csv`: people in bulk, every bad row reported, all or nothing.

Columns: email, name, role, comp_authority (hosts), lanes and accounts (reps; codes separated
by `;`; given codes become exactly the rep's, empty cells leave them as they are). A known
e-mail updates that person (a role change ends their sessions). Nobody gets a
password here: hashing is deliberately slow, and a password in a file is a password in clear;
new people choose theirs through a set-password link (`links.issue`).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert, select

from ..extensions import db
from ..imports import Column, ImportFailed, RowError, read_rows
from ..tables import Customer, Lane, PersonChange, Role, User, utcnow
from . import links, ownership, staff


def columns() -> list[Column]:
    return [
        # Read as text: the admin form's rules (staff.parse_details) check them, with the rest.
        Column("email", str),
        Column("name", str),
        Column("role", str),
        Column("comp_authority", str, required=False, default=""),
        Column("lanes", ownership.codes, required=False, default=[]),
        Column("accounts", ownership.codes, required=False, default=[]),
    ]


def import_users(path: str | Path, with_links: bool = False) -> tuple[int, int, dict[str, str]]:
    """Create or update people by e-mail; returns (created, updated, {email: link secret})."""
    rows = read_rows(path, columns())
    checked = _check(rows, str(path))
    existing = {u.email: u for u in db.session.scalars(select(User))}
    new, owners = [], []
    for details, lane_ids, account_ids in checked:
        person = existing.get(details.email)
        if person is None:
            new.append(details)
        else:
            staff.change(None, person, details)
        if lane_ids or account_ids:  # empty cells leave what a rep owns as it is
            owners.append((details.email, lane_ids, account_ids))
    created = _insert(new, Path(path).name)
    for email, lane_ids, account_ids in owners:
        ownership.assign(None, User.by_email(email), lane_ids, account_ids)
    secrets = {}
    if with_links and created:
        people = db.session.scalars(select(User).where(User.id.in_(created)))
        secrets = {person.email: links.issue(None, person) for person in people}
    db.session.commit()
    return len(created), len(checked) - len(created), secrets


def _insert(new: list[staff.Details], source: str) -> list[int]:
    """New people in two statements (not one object each: 2,000 rows in well under a second)."""
    if not new:
        return []
    db.session.execute(
        insert(User),
        [
            {"email": d.email, "display_name": d.display_name, "role": d.role,
             "comp_authority": d.comp_authority, "password_hash": ""}
            for d in new
        ],
    )  # fmt: skip
    emails = [d.email for d in new]
    ids = dict(db.session.execute(select(User.email, User.id).where(User.email.in_(emails))).all())
    now = utcnow()
    db.session.execute(
        insert(PersonChange),
        [
            {"user_id": ids[d.email], "actor_id": None, "action": "added", "at": now,
             "detail": f"imported from {source} as {d.role.value}"}
            for d in new
        ],
    )  # fmt: skip
    return [ids[email] for email in emails]


def _check(rows, source: str) -> list[tuple[staff.Details, list[int], list[int]]]:
    """Every row through the same rules as the admin form; duplicates and conflicts by line."""
    lanes = dict(db.session.execute(select(Lane.code, Lane.id)).all())
    accounts = dict(db.session.execute(select(Customer.code, Customer.id)).all())
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    claimed: dict[tuple[str, str], int] = {}
    checked = []
    for line, row in rows:
        form = {**row, "display_name": row["name"]}
        try:
            details = staff.parse_details(form)
        except staff.PersonRefused as refused:
            errors += [RowError(line, _column(f), why) for f, why in refused.errors.items()]
            continue
        if details.email in seen:
            errors.append(RowError(line, "email", f"also on line {seen[details.email]}"))
        seen.setdefault(details.email, line)
        ids = []
        for column, known in (("lanes", lanes), ("accounts", accounts)):
            ids.append(_owned_ids(line, column, row[column], known, details, claimed, errors))
        checked.append((details, *ids))
    if errors:
        raise ImportFailed(source, errors)
    return checked


def _owned_ids(line, column, wanted, known, details, claimed, errors) -> list[int]:
    if wanted and details.role is not Role.REP:
        errors.append(RowError(line, column, "only reps own lanes and accounts"))
        return []
    unknown = [code for code in wanted if code not in known]
    if unknown:
        errors.append(RowError(line, column, f"unknown code(s): {', '.join(unknown)}"))
    for code in wanted:
        first = claimed.setdefault((column, code), line)
        if first != line:
            errors.append(RowError(line, column, f"{code} is also given to line {first}"))
    return [known[code] for code in wanted if code in known]


def _column(field: str) -> str:
    return "name" if field == "display_name" else field
