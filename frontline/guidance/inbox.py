"""A person's open cards, newest first: the truth the live stream only signals about."""

from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, select

from ..extensions import db
from ..tables import CardStatus, Guest, GuidanceCard

OPEN_STATUSES = [s for s in CardStatus if s.is_open]


def open_cards(user_id: int, audience: str, limit: int = 200) -> list[GuidanceCard]:
    wanted = {"user_id": user_id, "audience": audience, "limit": limit}
    return list(db.session.scalars(_open_cards(), wanted))


def guests_by_id(cards: list[GuidanceCard]) -> dict[int, Guest]:
    ids = {c.subject_id for c in cards if c.subject_type == "guest"}
    if not ids:
        return {}
    found = db.session.scalars(_guests_by_id(), {"ids": sorted(ids)})
    return {g.id: g for g in found}


# Every phone runs these on each signal: built once (building costs more than running them).
@cache
def _open_cards():
    return (
        select(GuidanceCard)
        .where(
            GuidanceCard.assignee_id == bindparam("user_id"),
            GuidanceCard.audience == bindparam("audience"),
            GuidanceCard.status.in_(OPEN_STATUSES),
        )
        .order_by(GuidanceCard.created_at.desc(), GuidanceCard.id.desc())
        .limit(bindparam("limit"))
    )


@cache
def _guests_by_id():
    return select(Guest).where(Guest.id.in_(bindparam("ids", expanding=True)))
