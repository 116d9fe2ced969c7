"""Replaying a log of evaluations: the cards a pack would have shown, with cooldowns kept per
subject in time order exactly as the live path keeps them.

`replay_rows` is the reference: `evaluate` row by row, each card's cooldown key recorded with
the time of its evaluation. `replay_columns` gives the same cards for the same log in bulk: the
conditions of every rule are matched on all rows at once (the batch evaluator), hard stops and
the hit policy are applied to whole columns, and only the cooldowns need time order, walked per
rule and subject over the rows where that rule could show, comparing integers, evaluating no
condition. Imports numpy (through the batch evaluator).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from .batch import Column, Columns, fire
from .cards import Card
from .engine import evaluate, make_card
from .packs import Pack, Rule


def replay_rows(
    pack: Pack, log: Iterable[tuple[Hashable, datetime, Mapping[str, Any]]]
) -> list[list[Card]]:
    """The cards PACK shows for each (subject, at, facts) of LOG, in the order given (oldest
    first): each card shown is remembered for its subject at `at`, as the live path does."""
    history: dict[Hashable, dict[str, datetime]] = defaultdict(dict)
    shown = []
    for subject, at, facts in log:
        past = history[subject]
        cards = evaluate(pack, facts, past)
        for card in cards:
            if card.cooldown_key:
                past[card.cooldown_key] = at
        shown.append(cards)
    return shown


@dataclass
class Replay:
    """One pack over a log held as columns: per rule (in priority order) and row, whether its
    conditions held (`fired`) and whether its card was shown (`shown`)."""

    pack: Pack
    fired: np.ndarray
    shown: np.ndarray
    columns: Columns
    fallbacks: tuple[str, ...] = ()

    @property
    def rule_ids(self) -> list[str]:
        return [self.pack.rules[i].id for i in self.pack.order]

    def rules_shown(self, i: int) -> list[Rule]:
        """The rules whose cards row I shows, best first."""
        return [self.pack.rules[self.pack.order[k]] for k in np.flatnonzero(self.shown[:, i])]

    def facts(self, i: int, names: Iterable[str]) -> dict[str, Any]:
        """Row I's values of these facts, as the per-fact evaluator receives them."""
        return {name: self.columns[name].python(i) for name in names if name in self.columns}

    def cards(self, i: int) -> list[Card]:
        """Row I's cards, rendered from the row's facts when read."""
        rules = self.rules_shown(i)
        names = {name for rule in rules for name in _card_facts(rule)}
        facts = self.facts(i, sorted(names))
        return [make_card(self.pack, rule, facts) for rule in rules]


def _card_facts(rule: Rule) -> list[str]:
    spec = rule.card
    names = [*rule.facts, *spec.headline._names, *(n for t in spec.details for n in t._names)]
    if spec.offer_text is not None:
        names.extend(spec.offer_text._names)
    if rule.cooldown is not None:
        names.append(rule.cooldown.per)
    return names


def replay_columns(
    pack: Pack, columns: Mapping[str, Any], subjects: np.ndarray, at: np.ndarray
) -> Replay:
    """PACK over a log given as columns (fact name -> values or a prepared `Column`, rows oldest
    first), SUBJECTS (one integer per row: whose history the row reads and writes) and AT (when
    each row was evaluated, datetime64 in the zone of the datetime facts): the same cards as
    `replay_rows` over the same rows."""
    n = len(subjects)
    if len(at) != n:
        raise ValueError(f"{n} subjects but {len(at)} times")
    fired, prepared, fallbacks = fire(pack, columns, n)
    rules = [pack.rules[i] for i in pack.order]
    stop_all = np.zeros(n, bool)
    stop_any = np.zeros(n, bool)
    for k, rule in enumerate(rules):
        if rule.suppress == "all":
            stop_all |= fired[k]
        if rule.suppress:
            stop_any |= fired[k]
    shown = np.zeros_like(fired)
    count = np.zeros(n, dtype=np.int16)
    when = np.asarray(at).astype("M8[us]").view(np.int64)
    for k, rule in enumerate(rules):
        eligible = fired[k].copy()
        if rule.suppress is None:
            eligible &= ~stop_all
        if rule.has_offer:
            eligible &= ~stop_any
        eligible &= count < pack.top
        if rule.cooldown is not None:
            _cool(rule, eligible, prepared, subjects, when)
        shown[k] = eligible
        count += eligible
    return Replay(pack, fired, shown, prepared, fallbacks)


def _cool(
    rule: Rule, eligible: np.ndarray, columns: Columns, subjects: np.ndarray, when: np.ndarray
) -> None:
    """Clear the rows of ELIGIBLE where the rule's card is still cooling down: per subject and
    cooldown key, in row order, each card shown restarts the cooldown at its row's time."""
    rows = np.flatnonzero(eligible)
    if not len(rows):
        return
    cooldown = rule.cooldown
    keys = key_codes(columns[cooldown.per], rows)
    order = np.lexsort((keys, subjects[rows]))  # by subject, then key; rows stay in time order
    rows, keys, whose = rows[order], keys[order], subjects[rows][order]
    first = np.ones(len(rows), bool)
    first[1:] = (whose[1:] != whose[:-1]) | (keys[1:] != keys[:-1])
    groups = np.cumsum(first)
    if cooldown.every == "once":
        eligible[rows[~first]] = False
        return
    if cooldown.every == "visit":  # shown again once the visit started after the last card
        bound, known = _micros(columns["visit.started"], rows)
        gap = 1
    else:  # shown again once `now` is a period after the last card
        bound, known = _micros(columns["now"], rows)
        gap = cooldown.period // timedelta(microseconds=1)
    at = when[rows]
    shown = _jump(groups, first, at, bound, known, gap)
    if shown is None:
        shown = ~np.array(_walk(groups.tolist(), at.tolist(), bound.tolist(), known.tolist(), gap))
    eligible[rows[~shown]] = False


def _jump(
    groups: np.ndarray,
    first: np.ndarray,
    at: np.ndarray,
    bound: np.ndarray,
    known: np.ndarray,
    gap: int,
) -> np.ndarray | None:
    """Which rows show the card, found by jumping from each shown row straight to the next row
    of its group whose BOUND reaches its time plus GAP (a binary search), so the Python loop runs
    over shown rows only. Exact when BOUND never falls within a group and is known after each
    group's first row (as on a live floor); otherwise None (then `_walk` decides)."""
    later = ~first
    if not known[later].all() or (np.diff(bound)[later[1:]] < 0).any():
        return None
    m = len(at)
    low = int(bound[known].min(initial=0)) if known.any() else 0
    bound = np.where(known, bound, low)  # only a group's first row may not know it
    span = int(bound.max()) - low + 1
    group = groups - groups[0]
    if (int(group[-1]) + 2) * span >= 2**62:
        return None
    key = group * span + (bound - low)  # sorted: by group, then bound
    target = group * span + np.clip(at + gap - low, 0, span)
    after = np.maximum(np.searchsorted(key, target), np.arange(1, m + 1))
    inside = after < m
    inside[inside] = group[after[inside]] == group[inside]
    step = np.where(inside, after, -1).tolist()
    shown = np.zeros(m, bool)
    for row in np.flatnonzero(first).tolist():
        while row >= 0:
            shown[row] = True
            row = step[row]
    return shown


def _walk(groups: list, at: list, bound: list, known: list, gap: int) -> list[bool]:
    """Per row (grouped, in time order), whether the card is blocked by the last one shown in
    its group: until BOUND (the visit's start, or now) reaches that card's time plus GAP. A
    missing BOUND blocks once a card was shown."""
    blocked = []
    group, last = None, None
    for g, when, limit, ok in zip(groups, at, bound, known, strict=True):
        if g != group:
            group, last = g, None
        stop = last is not None and (not ok or limit < last + gap)
        blocked.append(stop)
        if not stop:
            last = when
    return blocked


def _micros(column: Column, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A datetime column's values at ROWS as integer microseconds, and which are present."""
    if column.kind != "datetime":
        raise ValueError(f"cooldowns need datetime facts, not {column.kind}")
    data = column.data[rows].astype("M8[us]")
    present = ~np.isnat(data)
    if column.present is not None:
        present &= column.present[rows]
    return np.where(present, data.view(np.int64), 0), present


def key_codes(column: Column, rows: np.ndarray) -> np.ndarray:
    """A column's values at ROWS as integers that are equal where the values are (missing is one
    more value): cooldown subjects, and groups of equal facts."""
    data = column.data[rows]
    if column.kind in ("list", "decimal"):
        data = np.array([hash(str(v)) for v in data.tolist()], np.int64)
    elif data.dtype.kind == "f":
        data = data.view(np.int64)
    elif data.dtype.kind in "mM":
        data = data.astype(np.int64)
    else:
        data = data.astype(np.int64)
    if column.present is not None:
        data = np.where(column.present[rows], data, np.iinfo(np.int64).min)
    return data
