"""The evaluation log, and backtests that replay it.

Every evaluation the app makes (each arrival, each rep outlook subject, each quote given) is
logged with all the facts it was made on, the pack version and the cards it showed: one row,
facts as JSON (money as exact strings). A backtest replays a window of that log through two
packs, in time order, keeping cooldown history per subject exactly as the live path does, so
the published pack replayed over a day gives the cards the day really got.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

import guidance_rules

from ..extensions import db
from ..tables import Evaluation, utcnow
from .packs import published_pack
from .values import facts_from_json, facts_to_json

#: At most this many examples of each kind of difference are kept for the screen.
EXAMPLES = 20


def record(
    pack: guidance_rules.Pack,
    subject_type: str,
    subject_id: int,
    facts: Mapping[str, Any],
    cards: Iterable[guidance_rules.Card],
    at: datetime,
) -> None:
    """Log one evaluation in the caller's transaction (it commits with the cards it made)."""
    _report_fact_problems(pack)
    db.session.add(
        Evaluation(
            audience=pack.audience,
            subject_type=subject_type,
            subject_id=subject_id,
            at=at,
            pack_version=pack.version,
            facts=facts_to_json(dict(facts)),
            cards=[card.rule_id for card in cards],
        )
    )


def _report_fact_problems(pack: guidance_rules.Pack) -> None:
    """Facts that did not fit their type were treated as missing: say so, at most once a minute
    per pack, so an integration sending bad values is seen rather than silently never matching."""
    now = time.monotonic()
    if now - _REPORTED.get(pack.id, -1e9) < 60 or not pack.fact_problems.total():
        return
    _REPORTED[pack.id] = now
    counts = pack.fact_problems.counts()
    pack.fact_problems.clear()
    what = ", ".join(f"{name} ({reason}) x{n}" for (name, reason), n in sorted(counts.items()))
    log.warning("%s: facts that did not fit their type, treated as missing: %s", pack.id, what)


_REPORTED: dict[str, float] = {}
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Logged:
    """One logged evaluation, its facts typed again for the engine."""

    id: int
    subject_type: str
    subject_id: int
    at: datetime
    facts: dict[str, Any]
    cards: tuple[str, ...]


def window(audience: str, start: datetime, end: datetime) -> list[Logged]:
    """The logged evaluations of AUDIENCE in [START, END), oldest first."""
    vocabulary = guidance_rules.load_vocabulary()
    query = (
        select(*_COLUMNS)
        .where(Evaluation.audience == audience, Evaluation.at >= start, Evaluation.at < end)
        .order_by(Evaluation.at, Evaluation.id)
    )
    return [_logged(row, vocabulary) for row in db.session.execute(query)]


_COLUMNS = (
    Evaluation.id,
    Evaluation.subject_type,
    Evaluation.subject_id,
    Evaluation.at,
    Evaluation.facts,
    Evaluation.cards,
)


def _logged(row: Any, vocabulary: guidance_rules.Vocabulary) -> Logged:
    id_, kind, subject, at, facts, cards = row
    return Logged(id_, kind, subject, at, facts_from_json(facts, vocabulary), tuple(cards))


def recent(audience: str, limit: int = 20) -> list[Logged]:
    """The newest logged evaluations of AUDIENCE, newest first (subjects to preview a draft on)."""
    vocabulary = guidance_rules.load_vocabulary()
    query = (
        select(*_COLUMNS)
        .where(Evaluation.audience == audience)
        .order_by(Evaluation.at.desc(), Evaluation.id.desc())
        .limit(limit)
    )
    return [_logged(row, vocabulary) for row in db.session.execute(query)]


def one(evaluation_id: int, audience: str | None = None) -> Logged | None:
    """One logged evaluation (of AUDIENCE's pack, when given)."""
    query = select(*_COLUMNS).where(Evaluation.id == evaluation_id)
    if audience is not None:
        query = query.where(Evaluation.audience == audience)
    row = db.session.execute(query).first()
    return None if row is None else _logged(row, guidance_rules.load_vocabulary())


def subject_label(logged: Logged) -> str:
    """Who or what an evaluation was about, as a person names it."""
    facts = logged.facts
    for name in ("guest.name", "customer.name", "flight.number", "lane.code"):
        if facts.get(name):
            return str(facts[name])
    return f"{logged.subject_type} {logged.subject_id}"


Shown = tuple[tuple[str, str], ...]  # (rule id, headline) per card, best first


def replay(pack: guidance_rules.Pack, logged: list[Logged]) -> list[Shown]:
    """The cards PACK shows for each logged evaluation, cooldowns kept per subject in order."""
    history: dict[tuple[str, int], dict[str, datetime]] = defaultdict(dict)
    shown = []
    for row in logged:
        subject = history[(row.subject_type, row.subject_id)]
        cards = guidance_rules.evaluate(pack, row.facts, subject)
        for card in cards:
            if card.cooldown_key:
                subject[card.cooldown_key] = row.at
        shown.append(tuple((card.rule_id, card.headline) for card in cards))
    return shown


@dataclass(frozen=True)
class Difference:
    """One evaluation where the two packs disagree."""

    evaluation_id: int
    subject_type: str
    subject_id: int
    at: datetime
    before: Shown
    after: Shown

    @property
    def kind(self) -> str:
        """added or removed (a subject gains or loses every card), else changed (which cards,
        their order, or their text)."""
        if not self.before:
            return "added"
        return "removed" if not self.after else "changed"


@dataclass
class Backtest:
    """Published vs draft over one window of the log."""

    evaluations: int
    days: list[date] = field(default_factory=list)
    published_total: Counter = field(default_factory=Counter)
    draft_total: Counter = field(default_factory=Counter)
    differences: Counter = field(default_factory=Counter)
    examples: list[Difference] = field(default_factory=list)
    never_fire: list[str] = field(default_factory=list)
    shadowed: list[str] = field(default_factory=list)
    overlaps: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def rules(self) -> list[str]:
        return sorted(set(self.published_total) | set(self.draft_total))


def backtest_recent(draft: guidance_rules.Pack, days: int) -> Backtest:
    """DRAFT against the pack in force for its audience, over the last DAYS of the log."""
    end = utcnow()
    logged = window(draft.audience, end - timedelta(days=days), end)
    return backtest(published_pack(draft.audience), draft, logged)


def backtest(
    published: guidance_rules.Pack, draft: guidance_rules.Pack, logged: list[Logged]
) -> Backtest:
    """Replay both packs over the same evaluations and compare who gets what."""
    before, after = replay(published, logged), replay(draft, logged)
    result = Backtest(evaluations=len(logged))
    result.days = sorted({row.at.date() for row in logged})
    result.published_total = Counter(rule for cards in before for rule, _text in cards)
    result.draft_total = Counter(rule for cards in after for rule, _text in cards)
    for row, old, new in zip(logged, before, after, strict=True):
        if old != new:
            change = Difference(row.id, row.subject_type, row.subject_id, row.at, old, new)
            result.differences[change.kind] += 1
            if len(result.examples) < EXAMPLES:
                result.examples.append(change)
    subjects = _subjects_fired(draft, logged)
    result.never_fire = [r.id for r in draft.rules if r.id not in subjects]
    result.shadowed = [
        r.id for r in draft.rules if r.id in subjects and not result.draft_total[r.id]
    ]
    result.overlaps = _overlaps(subjects)
    return result


def _subjects_fired(pack: guidance_rules.Pack, logged: list[Logged]) -> dict[str, set]:
    """Per rule, the subjects whose facts met its condition (before hard stops, cooldowns and
    the hit policy): each logged evaluation is matched once."""
    subjects: dict[str, set] = defaultdict(set)
    for row in logged:
        for rule_id in (pack.rules[index].id for index in pack.match(row.facts)):
            subjects[rule_id].add((row.subject_type, row.subject_id))
    return subjects


def _overlaps(subjects: dict[str, set]) -> list[tuple[str, str, int]]:
    """Pairs of rules whose conditions hold on the same subjects, most shared first."""
    ids = sorted(subjects)
    pairs = [
        (a, b, len(subjects[a] & subjects[b]))
        for i, a in enumerate(ids)
        for b in ids[i + 1 :]
        if subjects[a] & subjects[b]
    ]
    return sorted(pairs, key=lambda pair: -pair[2])[:10]
