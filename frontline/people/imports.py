"""`frontline import users FILE.csv`: people in bulk, every bad row reported, all or nothing.

Columns: email, name, role, comp_authority (hosts), lanes and accounts (reps; codes separated
by `;`). A known e-mail updates that person (a role change ends their sessions). Nobody gets a
password here: hashing is deliberately slow, and a password in a file is a password in clear;
new people choose theirs through a set-password link (`links.issue`).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from ..imports import Column, ImportFailed, RowError, read_rows
from ..tables import Customer, Lane, Role, User
from . import audit, links, ownership, staff


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
    created: list[User] = []
    for details, lane_ids, account_ids in checked:
        person = existing.get(details.email)
        if person is None:
            person = User(
                email=details.email,
                display_name=details.display_name,
                role=details.role,
                comp_authority=details.comp_authority,
                password_hash="",
            )
            created.append(person)
            db.session.add(person)
        else:
            staff.change(None, person, details)
        if lane_ids or account_ids or details.role is Role.REP:
            db.session.flush()
            ownership.assign(None, person, lane_ids, account_ids)
    db.session.flush()
    for person in created:
        audit.record(None, person, "added", f"imported from {Path(path).name} as {person.role}")
    secrets = {person.email: links.issue(None, person) for person in created} if with_links else {}
    db.session.commit()
    return len(created), len(checked) - len(created), secrets


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
