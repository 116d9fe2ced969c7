"""Holdout experiments: the outcome rate with and without the card, and whether we can tell.

Each rule with a holdout splits its subjects (see `guidance_rules.holdout`): those shown the
card, and those held out (logged in `held_out_cards`). `measure` turns both arms into
`uplift_observations` (one row per subject per rule and version: did the outcome follow, and its
value); `uplifts` compares the arms with statsmodels: the difference in outcome rate with a 95%
Wald interval, and the subjects needed to detect a given effect at 80% power.

Outcomes, the same for both arms: a guest comes back (another arrival within OUTCOME_DAYS of
the first card or held-out card, at least an hour later); a shipper wins a quote of ours on the
card's subject within OUTCOME_DAYS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Integer,
    and_,
    cast,
    delete,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.sql.expression import ColumnElement
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_effectsize

from ..extensions import db
from ..tables import Event, HeldOutCard, IssuedCard, Quote, UpliftObservation
from .sql import seconds_between, within_days

OUTCOME_DAYS = 30
CONFIDENCE = 0.95
POWER = 0.8
EFFECT = 0.02  # the difference in outcome rate worth detecting, unless the page asks for another
SMALLEST_COUNT = 5  # outcomes and non-outcomes per arm for the normal approximation to hold


@dataclass(frozen=True)
class Arm:
    subjects: int
    reached: int
    value: Decimal

    @property
    def rate(self) -> float:
        return self.reached / self.subjects if self.subjects else 0.0

    @property
    def large_enough(self) -> bool:
        return min(self.reached, self.subjects - self.reached) >= SMALLEST_COUNT


@dataclass(frozen=True)
class Uplift:
    """A rule's experiment at one version: the card's arm against the held-out arm."""

    audience: str
    rule: str
    version: str
    shown: Arm
    held_out: Arm
    effect: float
    low: float | None = None
    high: float | None = None
    needed: int = 0  # subjects (both arms) to detect EFFECT at POWER

    @property
    def difference(self) -> float:
        return self.shown.rate - self.held_out.rate

    @property
    def more_needed(self) -> int:
        return max(0, self.needed - self.shown.subjects - self.held_out.subjects)

    @property
    def verdict(self) -> str:
        """One plain sentence: what the card changes, or that we cannot tell yet."""
        pp = f"{abs(self.effect) * 100:g} percentage points"
        if self.low is None or self.high is None:
            return (
                f"Not enough data to tell: about {self.more_needed:,} more subjects are needed "
                f"to detect a difference of {pp}."
            )
        if self.low > 0 or self.high < 0:
            way = "raises" if self.low > 0 else "lowers"
            return (
                f"The card {way} the outcome rate by {abs(self.difference) * 100:.1f} percentage "
                f"points (95% interval {self.low * 100:+.1f} to {self.high * 100:+.1f})."
            )
        if self.more_needed:
            return (
                f"Not enough data to tell yet: the interval includes no effect; about "
                f"{self.more_needed:,} more subjects are needed to detect {pp}."
            )
        return f"No difference of {pp} or more: the interval includes no effect."


def uplifts(audience: str = "", rule: str = "", effect: float = EFFECT) -> list[Uplift]:
    """Per rule and version with both arms observed, the experiment's numbers."""
    o = UpliftObservation
    query = select(
        o.audience, o.rule_id, o.pack_version, o.held_out,
        func.count(), func.sum(cast(o.reached, Integer)), func.sum(o.value),
    ).group_by(o.audience, o.rule_id, o.pack_version, o.held_out)  # fmt: skip
    if audience:
        query = query.where(o.audience == audience)
    if rule:
        query = query.where(o.rule_id == rule)
    arms: dict[tuple, dict[bool, Arm]] = {}
    for aud, rule_id, version, held, count, reached, value in db.session.execute(query):
        cents = Decimal(int(value or 0)).scaleb(-2)
        arms.setdefault((aud, rule_id, version), {})[bool(held)] = Arm(count, int(reached), cents)
    return [
        compare(*key, both[False], both[True], effect)
        for key, both in sorted(arms.items())
        if len(both) == 2
    ]


def compare(
    audience: str, rule: str, version: str, shown: Arm, held_out: Arm, effect: float = EFFECT
) -> Uplift:
    """The difference in outcome rate (shown minus held out) with its interval and power."""
    needed = subjects_needed(held_out.rate, effect, shown.subjects, held_out.subjects)
    result = Uplift(audience, rule, version, shown, held_out, effect, needed=needed)
    if not (shown.large_enough and held_out.large_enough):
        return result
    low, high = confint_proportions_2indep(
        shown.reached, shown.subjects, held_out.reached, held_out.subjects,
        method="wald", compare="diff", alpha=1 - CONFIDENCE,
    )  # fmt: skip
    return Uplift(audience, rule, version, shown, held_out, effect, float(low), float(high), needed)


def subjects_needed(base: float, effect: float, shown: int, held_out: int) -> int:
    """Subjects in both arms (in their current ratio) to detect a change of EFFECT from BASE."""
    base = min(max(base, 0.01), 0.99 - effect)
    ratio = shown / held_out if shown and held_out else 4.0  # a 20% holdout by default
    size = proportion_effectsize(base + effect, base)
    held = NormalIndPower().solve_power(size, alpha=1 - CONFIDENCE, power=POWER, ratio=ratio)
    return math.ceil(held) + math.ceil(held * ratio)


# -- measuring live experiments ----------------------------------------------------------------
def measure(now: datetime) -> int:
    """Rebuild the observations of every live experiment (rules with held-out cards) up to NOW;
    returns how many subjects were observed. Imported experiments are left alone."""
    experiments = select(HeldOutCard.rule_id, HeldOutCard.pack_version).distinct()
    pairs = [tuple(row) for row in db.session.execute(experiments)]
    o = UpliftObservation
    for rule_id, version in pairs:
        db.session.execute(delete(o).where(o.rule_id == rule_id, o.pack_version == version))
    exposed = _exposures(pairs, now).subquery()
    reached = _reached(exposed)
    query = select(
        exposed.c.audience, exposed.c.rule_id, exposed.c.pack_version, exposed.c.subject_type,
        exposed.c.subject_id, exposed.c.held_out, exposed.c.at, reached, literal(0),
    )  # fmt: skip
    columns = ["audience", "rule_id", "pack_version", "subject_type", "subject_id"]
    columns += ["held_out", "at", "reached", "value"]
    db.session.execute(insert(o).from_select(columns, query))
    observed = db.session.scalar(select(func.count()).where(_pair_in(o, pairs or [("", "")])))
    db.session.commit()
    return observed


def _exposures(pairs: list[tuple[str, str]], now: datetime):
    """Per experiment subject: its arm and when it was first exposed (or held out)."""
    if not pairs:
        pairs = [("", "")]
    shown = select(
        IssuedCard.audience, IssuedCard.rule_id, IssuedCard.pack_version,
        IssuedCard.subject_type, IssuedCard.subject_id, false().label("held_out"),
        IssuedCard.created_at.label("at"),
    ).where(_pair_in(IssuedCard, pairs), IssuedCard.created_at <= now)  # fmt: skip
    held = select(
        HeldOutCard.audience, HeldOutCard.rule_id, HeldOutCard.pack_version,
        HeldOutCard.subject_type, HeldOutCard.subject_id, true().label("held_out"),
        HeldOutCard.at,
    ).where(_pair_in(HeldOutCard, pairs), HeldOutCard.at <= now)  # fmt: skip
    both = union_all(shown, held).subquery()
    c = both.c
    keys = (c.audience, c.rule_id, c.pack_version, c.subject_type, c.subject_id)
    return select(
        *keys, (func.max(cast(c.held_out, Integer)) == 1).label("held_out"),
        func.min(c.at).label("at"),
    ).group_by(*keys)  # fmt: skip


def _pair_in(table, pairs: list[tuple[str, str]]) -> ColumnElement:
    return or_(*(and_(table.rule_id == r, table.pack_version == v) for r, v in pairs))


def _reached(exposed) -> ColumnElement:
    """Whether the outcome followed the exposure (see the module's docstring)."""
    e, q = exposed.c, Quote
    came_back = (
        select(Event.id)
        .where(
            e.subject_type == "guest", Event.guest_id == e.subject_id,
            Event.type == "guest.arrived", seconds_between(e.at, Event.occurred_at) >= 3600,
            within_days(Event.occurred_at, e.at, OUTCOME_DAYS),
        )
        .exists()
    )  # fmt: skip
    about = or_(
        and_(e.subject_type == "customer", q.customer_id == e.subject_id),
        and_(e.subject_type == "flight", q.flight_id == e.subject_id),
        and_(e.subject_type == "lane", q.lane_id == e.subject_id),
    )
    won = (
        select(q.id)
        .where(about, q.outcome == "won", within_days(q.quoted_at, e.at, OUTCOME_DAYS))
        .exists()
    )
    return or_(came_back, won)
