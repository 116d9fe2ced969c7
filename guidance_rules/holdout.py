"""Holdout: which subjects a rule keeps its card from, so the card's effect can be measured.

The draw is a hash, not a random number: the same (salt, rule, subject) is always in the same
arm, on every worker and after every restart, until the pack's `holdout_salt` changes (set it
per period, e.g. `2026-Q4`, to reshuffle). Pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib

from .cards import Card
from .packs import Pack

_SCALE = 2.0**64


def held_out(salt: str, rule_id: str, subject_id: object, share: float) -> bool:
    """Whether SUBJECT_ID is in RULE_ID's held-out share (uniform on the first 64 hash bits)."""
    if share <= 0:
        return False
    key = f"{salt}\x1f{rule_id}\x1f{subject_id}".encode()
    draw = int.from_bytes(hashlib.sha256(key).digest()[:8], "big") / _SCALE
    return draw < share


def split_held_out(
    pack: Pack, subject_id: object, cards: list[Card]
) -> tuple[list[Card], list[Card]]:
    """The cards to show and the cards held out for this subject (hard stops are never held
    out: the pack refuses a holdout on them when it loads)."""
    salt = pack.holdout_salt or pack.id
    shown: list[Card] = []
    kept_back: list[Card] = []
    for card in cards:
        share = pack.rule(card.rule_id).holdout
        (kept_back if held_out(salt, card.rule_id, subject_id, share) else shown).append(card)
    return shown, kept_back
