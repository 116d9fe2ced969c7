"""Everything the scoreboard page shows, from one set of filters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from ..extensions import db
from ..tables import CardStatus, IssuedCard
from . import feedback, funnel, uplift


@dataclass
class Board:
    filters: funnel.Filters
    rows: list[funnel.Row]
    focus: str = ""  # the rule whose dismissals and suggestion are shown
    weeks: dict = field(default_factory=dict)
    pattern: feedback.Pattern | None = None
    suggestion: feedback.Suggestion | None = None
    experiments: list[uplift.Uplift] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        stages = ("issued", "seen", "acknowledged", "acted", "outcome", "dismissed")
        return {stage: sum(getattr(row, stage) for row in self.rows) for stage in stages}

    @property
    def revenue(self) -> Decimal:
        return sum((row.revenue for row in self.rows), Decimal(0))


def board(filters: funnel.Filters, now: datetime, effect: float = uplift.EFFECT) -> Board:
    result = Board(filters, funnel.funnel(filters, now))
    result.focus = filters.rule or most_dismissed(filters, now)
    if result.focus:
        result.weeks = feedback.reasons_by_week(result.focus, filters.days, now)
        result.pattern = feedback.pattern(result.focus, filters.days, now)
        audience = _audience_of(result.rows, result.focus)
        if result.pattern and audience:
            result.suggestion = feedback.suggest(audience, result.focus, result.pattern)
    result.experiments = uplift.uplifts(filters.audience, filters.rule, effect)
    return result


def most_dismissed(filters: funnel.Filters, now: datetime) -> str:
    """The rule with the most dismissed cards under these filters ('' if none)."""
    dismissed = [*funnel.conditions(filters, now), IssuedCard.status == CardStatus.DISMISSED]
    query = (
        select(IssuedCard.rule_id)
        .where(*dismissed)
        .group_by(IssuedCard.rule_id)
        .order_by(func.count().desc(), IssuedCard.rule_id)
        .limit(1)
    )
    return db.session.scalar(query) or ""


def _audience_of(rows: list[funnel.Row], rule: str) -> str:
    return next((row.audience for row in rows if row.rule == rule), "")
