"""The people audit log: one row per change, read back newest first on a person's page."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..tables import PersonChange, User, utcnow


def record(actor: User | None, person: User, action: str, detail: str = "") -> None:
    """Add a change to the session; it commits with the change it describes."""
    db.session.add(
        PersonChange(user=person, actor=actor, action=action, detail=detail, at=utcnow())
    )


def history(person: User, limit: int = 50) -> list[PersonChange]:
    query = (
        select(PersonChange)
        .where(PersonChange.user_id == person.id)
        .order_by(PersonChange.at.desc(), PersonChange.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))
