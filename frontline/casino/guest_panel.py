"""What the card screen shows about a guest: place, value and trend, tastes, last experience."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..scoring.facts import load_facts
from ..sparklines import sparkline
from ..tables import Guest, Visit
from .zones import zone_name

SPARK_VISITS = 12


@dataclass(frozen=True)
class GuestPanel:
    zone_name: str | None
    value_90d: Decimal | None
    return_prob: float | None
    adt_trend: float | None
    spark_points: str  # SVG polyline points, oldest to newest
    recent_theo: list[Decimal]
    last_visit: Visit | None
    model_versions: dict[str, str]


def guest_panel(guest: Guest) -> GuestPanel:
    visits = list(
        db.session.scalars(
            select(Visit)
            .where(Visit.guest_id == guest.id)
            .order_by(Visit.visit_date.desc())
            .limit(SPARK_VISITS)
        )
    )[::-1]
    facts = load_facts("guest", guest.id)
    return GuestPanel(
        zone_name=zone_name(guest.current_zone) if guest.current_zone else None,
        value_90d=_value(facts, "guest.value_90d"),
        return_prob=_value(facts, "guest.return_prob_90d"),
        adt_trend=_value(facts, "guest.adt_trend"),
        spark_points=sparkline([v.theo_win for v in visits]),
        recent_theo=[v.theo_win for v in visits],
        last_visit=visits[-1] if visits else None,
        model_versions={name: f.model_version for name, f in facts.items() if f.model_version},
    )


def _value(facts: dict[str, Any], name: str) -> Any:
    fact = facts.get(name)
    return None if fact is None else fact.value
