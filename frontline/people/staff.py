"""Adding people, changing their role and details, enabling and disabling them.

Every change is audited (`audit.record`); a role change or a disable ends the person's
sessions, so the next tap signs them in again with what they may now do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, func, or_, select, update

from ..extensions import db
from ..tables import Customer, Lane, Role, Shift, User, UserSession, utcnow
from . import audit

MAX_COMP_AUTHORITY = Decimal(1_000_000)
PAGE_SIZE = 100
STATUSES = ("enabled", "disabled", "no password")


class PersonRefused(ValueError):
    """What was typed cannot be saved: `errors` maps each field to why."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {why}" for field, why in errors.items()))


@dataclass(frozen=True)
class Details:
    email: str
    display_name: str
    role: Role
    comp_authority: Decimal | None


def parse_details(form: Mapping[str, str]) -> Details:
    """The person form (or a CSV row) checked field by field; raises PersonRefused."""
    errors: dict[str, str] = {}
    email = (form.get("email") or "").strip().lower()
    if not email or "@" not in email or " " in email or len(email) > 254:
        errors["email"] = f"{email!r} is not an e-mail address" if email else "required"
    name = (form.get("display_name") or "").strip()
    if not name or len(name) > 120:
        errors["display_name"] = "required, at most 120 characters"
    role_text = (form.get("role") or "").strip().lower()
    role = Role(role_text) if role_text in {r.value for r in Role} else None
    if role is None:
        roles = ", ".join(r.value for r in Role)
        errors["role"] = f"{role_text!r} is not one of {roles}" if role_text else f"choose {roles}"
    authority = _authority(form.get("comp_authority") or "", role, errors)
    if errors:
        raise PersonRefused(errors)
    return Details(email, name, role, authority)


def _authority(text: str, role: Role | None, errors: dict[str, str]) -> Decimal | None:
    text = text.strip().replace(",", "").removeprefix("$")
    if not text:
        return None
    if role is not Role.HOST:
        errors["comp_authority"] = "only hosts have a comp authority"
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal(-1)
    if (
        not amount.is_finite()
        or not 0 <= amount <= MAX_COMP_AUTHORITY
        or amount != round(amount, 2)
    ):
        errors["comp_authority"] = f"{text!r} is not an amount from 0 to {MAX_COMP_AUTHORITY:,}"
        return None
    return amount


def add_person(actor: User | None, details: Details) -> User:
    """A new person without a password: they choose one through a set-password link."""
    if User.by_email(details.email) is not None:
        raise PersonRefused({"email": f"{details.email} already has an account"})
    person = User(
        email=details.email,
        display_name=details.display_name,
        role=details.role,
        comp_authority=details.comp_authority,
        password_hash="",
    )
    db.session.add(person)
    db.session.flush()
    audit.record(actor, person, "added", _describe(details))
    return person


def change(actor: User | None, person: User, details: Details) -> list[str]:
    """Apply the form to the person; returns what changed (also in the audit log)."""
    if details.email != person.email and User.by_email(details.email) is not None:
        raise PersonRefused({"email": f"{details.email} already has an account"})
    if actor is not None and person.id == actor.id and details.role != person.role:
        raise PersonRefused({"role": "you cannot change your own role"})
    changed = []
    for field, label in (("email", "e-mail"), ("display_name", "name")):
        if getattr(person, field) != getattr(details, field):
            changed.append(f"{label} {getattr(person, field)} → {getattr(details, field)}")
            setattr(person, field, getattr(details, field))
    if details.role != person.role:
        changed.append(f"role {person.role.value} → {details.role.value}")
        _leave_role(person)
        person.role = details.role
        UserSession.end_all(person)  # what they may do changed: sign in again
    if person.comp_authority != details.comp_authority:
        changed.append(f"comp authority {_money(person.comp_authority)} → "
                       f"{_money(details.comp_authority)}")  # fmt: skip
        person.comp_authority = details.comp_authority
    if changed:
        audit.record(actor, person, "changed", "; ".join(changed))
    return changed


def _leave_role(person: User) -> None:
    """What belonged to the old role goes: a host's shifts (the current one ends now, coming ones
    are removed), a rep's lanes and accounts."""
    if person.role is Role.HOST:
        now = utcnow()
        mine = Shift.user_id == person.id
        db.session.execute(delete(Shift).where(mine, Shift.starts_at > now))
        db.session.execute(
            update(Shift)
            .where(mine, Shift.starts_at <= now, Shift.ends_at > now)
            .values(ends_at=now)
        )
        person.comp_authority = None
    if person.role is Role.REP:
        for table in (Lane, Customer):
            db.session.execute(
                table.__table__.update().where(table.rep_id == person.id).values(rep_id=None)
            )


def set_enabled(actor: User, person: User, enabled: bool) -> None:
    if person.id == actor.id:
        raise PersonRefused({"enabled": "you cannot disable your own account"})
    if person.enabled == enabled:
        return
    person.enabled = enabled
    if not enabled:
        UserSession.end_all(person)
    audit.record(actor, person, "enabled" if enabled else "disabled")


def search(
    text: str = "", role: str = "", status: str = "", limit: int = PAGE_SIZE
) -> tuple[list[User], int]:
    """People matching a name or e-mail fragment, a role and a status; and how many match."""
    query = select(User)
    if text.strip():
        pattern = f"%{text.strip().lower()}%"
        query = query.where(
            or_(func.lower(User.display_name).like(pattern), func.lower(User.email).like(pattern))
        )
    if role in {r.value for r in Role}:
        query = query.where(User.role == Role(role))
    if status == "enabled":
        query = query.where(User.enabled)
    elif status == "disabled":
        query = query.where(~User.enabled)
    elif status == "no password":
        query = query.where(User.password_hash == "")
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    people = db.session.scalars(query.order_by(User.display_name, User.id).limit(limit))
    return list(people), total


def _describe(details: Details) -> str:
    text = f"{details.display_name} <{details.email}> as {details.role.value}"
    if details.comp_authority is not None:
        text += f", comp authority {_money(details.comp_authority)}"
    return text


def _money(amount: Decimal | None) -> str:
    return "none" if amount is None else f"${amount:,.2f}"
