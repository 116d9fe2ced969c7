"""The evaluation log, and backtests that replay it.

Every evaluation the app makes (each arrival, each rep outlook subject, each quote given) is
logged with all the facts it was made on, the pack version and the cards it showed: one row,
facts as JSON (money as exact strings). A backtest replays a window of that log through two
packs, in time order, keeping cooldown history per subject exactly as the live path does, so
the published pack replayed over a day gives the cards the day really got.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from flask import current_app
from sqlalchemy import select

import guidance_rules
from guidance_rules.engine import make_card
from guidance_rules.replay import Replay, key_codes, replay_columns, replay_rows

from ..extensions import db
from ..tables import Evaluation, utcnow
from . import logcolumns
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
    """The cards PACK shows for each logged evaluation, row by row, cooldowns kept per subject
    in order: the reference the bulk replay of `backtest` is held to."""
    log = (((row.subject_type, row.subject_id), row.at, row.facts) for row in logged)
    return [tuple((c.rule_id, c.headline) for c in cards) for cards in replay_rows(pack, log)]


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
    #: Per day of the window: rule id -> cards shown that day.
    published_by_day: dict[date, Counter] = field(default_factory=dict)
    draft_by_day: dict[date, Counter] = field(default_factory=dict)
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
    log = logcolumns.window(draft.audience, end - timedelta(days=days), end)
    return backtest(published_pack(draft.audience), draft, log)


def backtest_kept(
    draft: guidance_rules.Pack, text: str, days: int, fresh: bool = False
) -> Backtest:
    """`backtest_recent`, kept per (draft text, version in force, DAYS, today) in this app's
    process, so that a page showing the same pending version again (or the chart of the
    backtest just shown) does not replay it. FRESH replays whatever is kept (the analyst's
    click: the log may have grown since)."""
    published = published_pack(draft.audience)
    digest = hashlib.sha256(text.encode()).hexdigest()
    key = (draft.audience, digest, published.version, days, utcnow().date())
    kept = current_app.extensions.setdefault("frontline.backtests", {})
    if fresh or key not in kept:
        kept[key] = backtest_recent(draft, days)
        while len(kept) > KEPT:
            kept.pop(next(iter(kept)))  # the oldest first
    return kept[key]


#: Backtests kept per process for review pages.
KEPT = 16


def backtest(
    published: guidance_rules.Pack, draft: guidance_rules.Pack, log: logcolumns.LogColumns
) -> Backtest:
    """Replay both packs over the same evaluations (in bulk, see `guidance_rules.replay`) and
    compare who gets what."""
    subjects = log.subjects()
    before = replay_columns(published, log.facts, subjects, log.at)
    after = replay_columns(draft, log.facts, subjects, log.at)
    result = Backtest(evaluations=len(log))
    days, day_of_row = np.unique(log.at.astype("M8[D]"), return_inverse=True)
    result.days = [day.item() for day in days]
    result.published_total, result.published_by_day = _totals(before, day_of_row, result.days)
    result.draft_total, result.draft_by_day = _totals(after, day_of_row, result.days)
    changed = _changed(before, after)
    none_before, none_after = ~before.shown.any(axis=0), ~after.shown.any(axis=0)
    result.differences = Counter(
        {
            kind: int(count)
            for kind, count in (
                ("added", (changed & none_before).sum()),
                ("removed", (changed & ~none_before & none_after).sum()),
                ("changed", (changed & ~none_before & ~none_after).sum()),
            )
            if count
        }
    )
    for i in np.flatnonzero(changed)[:EXAMPLES].tolist():
        old, new = (_shown(replayed, i) for replayed in (before, after))
        at = log.when(i)
        kind, subject = log.subject_type(i), int(log.subject_ids[i])
        result.examples.append(Difference(int(log.ids[i]), kind, subject, at, old, new))
    fired = _subjects_fired(after, subjects)
    result.never_fire = [r.id for r in draft.rules if not fired[r.id].any()]
    result.shadowed = [
        r.id for r in draft.rules if fired[r.id].any() and not result.draft_total[r.id]
    ]
    result.overlaps = _overlaps(fired)
    return result


def _shown(replayed: Replay, i: int) -> Shown:
    return tuple((card.rule_id, card.headline) for card in replayed.cards(i))


def _totals(replayed: Replay, day_of_row: np.ndarray, days: list[date]) -> tuple[Counter, dict]:
    """Cards per rule over the window, and per day."""
    total: Counter = Counter()
    by_day: dict[date, Counter] = {day: Counter() for day in days}
    for rule_id, shown in zip(replayed.rule_ids, replayed.shown, strict=True):
        if not shown.any():
            continue
        total[rule_id] = int(shown.sum())
        counts = np.bincount(day_of_row[shown], minlength=len(days))
        for d in np.flatnonzero(counts).tolist():
            by_day[days[d]][rule_id] = int(counts[d])
    return total, by_day


def _changed(before: Replay, after: Replay) -> np.ndarray:
    """Per evaluation, whether the two packs show different cards: other rules, another order,
    or another headline."""
    old = dict(zip(before.rule_ids, before.shown, strict=True))
    new = dict(zip(after.rule_ids, after.shown, strict=True))
    changed = np.zeros(before.shown.shape[1], bool)
    for rule_id in old.keys() ^ new.keys():  # a rule only one pack has
        changed |= old[rule_id] if rule_id in old else new[rule_id]
    common = [rule_id for rule_id in before.rule_ids if rule_id in new]
    for rule_id in common:
        changed |= old[rule_id] != new[rule_id]
    same = ~changed & before.shown.any(axis=0)
    rank = {rule_id: k for k, rule_id in enumerate(after.rule_ids)}
    for a, b in itertools.combinations(common, 2):  # two cards shown in another order
        if rank[a] > rank[b]:
            changed |= same & old[a] & old[b]
    for rule_id in common:  # the same card, its headline written differently
        rule_old = before.pack.rule(rule_id)
        rule_new = after.pack.rule(rule_id)
        if rule_old.card.headline.source != rule_new.card.headline.source:
            rows = np.flatnonzero(same & old[rule_id] & ~changed)
            changed[rows] = _headlines_differ(before, after, rule_old, rule_new, rows)
    return changed


def _headlines_differ(
    before: Replay,
    after: Replay,
    old: guidance_rules.Rule,
    new: guidance_rules.Rule,
    rows: np.ndarray,
) -> np.ndarray:
    """Whether the two rules' headlines differ on these rows: rendered once per distinct set of
    the values they show."""
    names = sorted({*old.card.headline._names, *new.card.headline._names})
    if not len(rows):
        return np.zeros(0, bool)
    keys = np.stack([key_codes(before.columns[n], rows) for n in names], axis=1) if names else None
    if keys is None:
        firsts, inverse = np.array([0]), np.zeros(len(rows), np.int64)
    else:
        _unique, firsts, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    differ = []
    for first in firsts.tolist():
        facts = before.facts(int(rows[first]), names)
        differ.append(
            make_card(before.pack, old, facts).headline
            != make_card(after.pack, new, facts).headline
        )
    return np.array(differ, bool)[inverse.reshape(-1)]


def _subjects_fired(replayed: Replay, subjects: np.ndarray) -> dict[str, np.ndarray]:
    """Per rule, which subjects (a mask over subject numbers) met its condition (before hard
    stops, cooldowns and the hit policy)."""
    count = int(subjects.max()) + 1 if len(subjects) else 0
    out = {}
    for rule_id, fired in zip(replayed.rule_ids, replayed.fired, strict=True):
        mask = np.zeros(count, bool)
        mask[subjects[fired]] = True
        out[rule_id] = mask
    return out


def _overlaps(fired: dict[str, np.ndarray]) -> list[tuple[str, str, int]]:
    """Pairs of rules whose conditions hold on the same subjects, most shared first."""
    ids = sorted(rule_id for rule_id, mask in fired.items() if mask.any())
    if not ids:
        return []
    bits = np.packbits(np.stack([fired[rule_id] for rule_id in ids]), axis=1)
    pairs = []
    for i, a in enumerate(ids):
        shared = np.bitwise_count(bits[i] & bits[i + 1 :]).sum(axis=1, dtype=np.int64)
        pairs += [(a, b, int(n)) for b, n in zip(ids[i + 1 :], shared.tolist(), strict=True) if n]
    return sorted(pairs, key=lambda pair: -pair[2])[:10]
