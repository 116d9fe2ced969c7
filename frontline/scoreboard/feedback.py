"""Why cards are dismissed, and what to change in the rule.

Per rule: the "not relevant" reasons week by week (one GROUP BY), and the facts the dismissed
cards had in common compared with the cards acted on. How the suggestion is computed:

1. Take the rule's last SAMPLE dismissed cards and last SAMPLE acted cards in the period, with
   the facts the rule read when it fired (`cards.facts`).
2. For every fact value that can be named in a condition (an enum, text or true/false value),
   count the share of dismissed cards and the share of acted cards that had it.
3. The pattern is the value with the largest gap (dismissed share minus acted share) among those
   at least MIN_DISMISSED dismissed cards had, in at least MIN_SHARE of dismissals, with a gap
   of at least MIN_GAP: e.g. "72% of dismissals had guest.tier == gold, against 18% of the cards
   acted on".
4. The suggested edit excludes it: `(<condition>) and guest.tier != "gold"` (`and not x` for a
   true value, `and x` for a false one). It is offered only if the pack still checks with it;
   the analyst opens it as the draft in the workbench, where the backtest shows what it changes.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import yaml
from sqlalchemy import func, select

import guidance_rules

from ..extensions import db
from ..guidance import rulebook
from ..tables import CardAction, CardStatus, IssuedCard, RulePack, User
from .funnel import ACTED
from .sql import week_of

SAMPLE = 500
MIN_DISMISSED = 10
MIN_SHARE = 0.5
MIN_GAP = 0.2


def reasons_by_week(rule: str, days: int, now: datetime) -> dict[str, Counter]:
    """Per week (its Monday), how many of RULE's cards were dismissed for each reason."""
    card = IssuedCard
    week = week_of(card.created_at)
    query = (
        select(week, card.dismiss_reason, func.count())
        .where(card.rule_id == rule, card.status == CardStatus.DISMISSED)
        .where(card.created_at >= now - timedelta(days=days), card.created_at <= now)
        .group_by(week, card.dismiss_reason)
        .order_by(week)
    )
    weeks: dict[str, Counter] = {}
    for monday, reason, count in db.session.execute(query):
        weeks.setdefault(str(monday), Counter())[reason or "none"] = count
    return weeks


@dataclass(frozen=True)
class Pattern:
    """A fact value the dismissed cards had far more often than the acted ones."""

    fact: str
    value: str | bool
    dismissed_share: float
    acted_share: float
    dismissed: int
    acted: int

    @property
    def sentence(self) -> str:
        return (
            f"{self.dismissed_share:.0%} of dismissals had {self.fact} == {self.shown_value}, "
            f"against {self.acted_share:.0%} of the cards acted on "
            f"({self.dismissed} dismissed, {self.acted} acted on)."
        )

    @property
    def shown_value(self) -> str:
        return json.dumps(self.value)

    @property
    def exclusion(self) -> str:
        """The condition that leaves these subjects out."""
        if self.value is True:
            return f"not {self.fact}"
        if self.value is False:
            return self.fact
        return f"{self.fact} != {json.dumps(self.value)}"


def pattern(rule: str, days: int, now: datetime) -> Pattern | None:
    """The strongest fact value dismissed cards share and acted ones do not (see above)."""
    since = now - timedelta(days=days)
    dismissed = _facts(rule, since, now, IssuedCard.status == CardStatus.DISMISSED)
    acted_ids = (
        select(CardAction.card_id)
        .join(IssuedCard, IssuedCard.id == CardAction.card_id)
        .where(IssuedCard.rule_id == rule, CardAction.action.in_(ACTED))
        .where(IssuedCard.created_at >= since, IssuedCard.created_at <= now)
    )  # the rule's cards in the period first, then each one's taps through its index
    acted = _facts(rule, since, now, IssuedCard.id.in_(acted_ids))
    if len(dismissed) < MIN_DISMISSED:
        return None
    in_dismissed, in_acted = _values(dismissed), _values(acted)
    best = None
    for (fact, value), count in in_dismissed.items():
        d_share = count / len(dismissed)
        a_share = in_acted[(fact, value)] / len(acted) if acted else 0.0
        gap = d_share - a_share
        if count >= MIN_DISMISSED and d_share >= MIN_SHARE and gap >= MIN_GAP:
            found = Pattern(fact, value, d_share, a_share, len(dismissed), len(acted))
            if best is None or gap > best.dismissed_share - best.acted_share:
                best = found
    return best


def _facts(rule: str, since: datetime, now: datetime, which) -> list[dict]:
    query = (
        select(IssuedCard.facts)
        .where(IssuedCard.rule_id == rule, which)
        .where(IssuedCard.created_at >= since, IssuedCard.created_at <= now)
        .order_by(IssuedCard.created_at.desc())
        .limit(SAMPLE)
    )
    return [facts or {} for facts in db.session.scalars(query)]


def _values(cards: list[dict]) -> Counter:
    """How many cards had each (fact, value) that a condition can name."""
    vocabulary = guidance_rules.load_vocabulary()
    counts: Counter = Counter()
    for facts in cards:
        for name, value in facts.items():
            fact = vocabulary.facts.get(name)
            if fact is None or value is None:
                continue
            nameable = (str,) if fact.type in ("enum", "string") else ()
            if fact.type == "boolean":
                nameable = (bool,)
            if nameable and isinstance(value, nameable):
                counts[(name, value)] += 1
    return counts


# -- the suggested edit ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Suggestion:
    audience: str
    rule: str
    before: str
    after: str
    text: str  # the whole pack with the edit, as the draft would hold it


def suggest(audience: str, rule: str, found: Pattern) -> Suggestion | None:
    """The pack's draft (or, if it does not check, the version in force) with RULE's condition
    narrowed to leave FOUND out, if the pack still checks with it. Editing the draft keeps
    whatever else the analyst has under way."""
    pack = rulebook.pack_for(audience)
    text = pack.draft
    loaded = rulebook.check(text, audience)
    if not loaded.ok:
        current = rulebook.in_force(pack)
        text = current.text if current else ""
        loaded = rulebook.check(text, audience)
    if not loaded.ok:
        return None
    try:
        before = loaded.pack.rule(rule).when.strip()
    except KeyError:
        return None
    after = f"({before}) and {found.exclusion}"
    edited = _with_condition(text, rule, after)
    if edited is None or not rulebook.check(edited, audience).ok:
        return None
    return Suggestion(audience, rule, before, after, edited)


def _with_condition(text: str, rule: str, when: str) -> str | None:
    """TEXT with RULE's `when` replaced in place (comments and layout elsewhere kept)."""
    root = yaml.compose(text)
    rules = next((value for key, value in root.value if key.value == "rules"), None)
    for item in rules.value if rules is not None else ():
        fields = {key.value: value for key, value in item.value}
        if getattr(fields.get("id"), "value", None) != rule or "when" not in fields:
            continue
        node = fields["when"]
        start, end = node.start_mark.index, node.end_mark.index
        tail = "\n" if node.style in (">", "|") else ""
        return text[:start] + json.dumps(when) + tail + text[end:]
    return None


def open_as_draft(suggestion: Suggestion, user: User) -> RulePack:
    """Save the suggested edit as the pack's draft (logged in its audit log) for the workbench."""
    pack = rulebook.pack_for(suggestion.audience)
    current = rulebook.in_force(pack)
    base = pack.draft_base or (current.number if current else 0)
    rulebook.save_draft(pack, suggestion.text, user, base)
    return pack
