"""A person's open cards, newest first: the truth the live stream only signals about."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..tables import CardStatus, Guest, GuidanceCard

OPEN_STATUSES = [s for s in CardStatus if s.is_open]


def open_cards(user_id: int, audience: str, limit: int = 200) -> list[GuidanceCard]:
    query = (
        select(GuidanceCard)
        .where(
            GuidanceCard.assignee_id == user_id,
            GuidanceCard.audience == audience,
            GuidanceCard.status.in_(OPEN_STATUSES),
        )
        .order_by(GuidanceCard.created_at.desc(), GuidanceCard.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def guests_by_id(cards: list[GuidanceCard]) -> dict[int, Guest]:
    ids = {c.subject_id for c in cards if c.subject_type == "guest"}
    if not ids:
        return {}
    found = db.session.scalars(select(Guest).where(Guest.id.in_(ids)))
    return {g.id: g for g in found}
