""" "Why this card" as sentences a host or rep reads: the rules' titles and the facts behind
them, each told with the vocabulary's description (the raw facts stay one tap further on)."""

from __future__ import annotations

import re

import guidance_rules
from guidance_rules.cards import format_value

from ..tables import IssuedCard
from .values import facts_from_json

#: Who, when and what happened: the card already says them.
UNSAID = {
    "now",
    "visit.started",
    "event.type",
    "guest.id",
    "guest.name",
    "customer.id",
    "customer.name",
}
_ASIDE = re.compile(r"\s*\([^)]*\)")


def why_sentences(card: IssuedCard) -> list[str]:
    """One sentence per rule that fired and per fact it read, in plain words."""
    titles = [card.rule_title, *(rule["rule_title"] for rule in card.also_fired or [])]
    said = [f"Shown because: {'; '.join(titles)}."]
    vocabulary = guidance_rules.load_vocabulary()
    for name, value in facts_from_json(card.facts, vocabulary).items():
        if name in UNSAID:
            continue
        fact = vocabulary[name]
        shown = "not known" if value is None else format_value(fact, value)
        said.append(f"{plain(fact.description)}: {shown}.")
    return said


def plain(description: str) -> str:
    """A description without its asides for analysts ("(-0.2 = 20% lower)") or final stop."""
    return _ASIDE.sub("", description).strip().rstrip(".")
