"""A loaded pack back as plain data or YAML text, for the workbench to store and show.

`Pack.from_data(pack.to_data())` and `load_pack(pack.to_yaml())` give a pack that behaves the same
(the tests check the round trip data -> pack -> YAML -> pack).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import yaml

from .packs import SUBJECTS, Example, Pack, Rule


def pack_data(pack: Pack) -> dict[str, Any]:
    data: dict[str, Any] = {"id": pack.id, "version": pack.version}
    if pack.title:
        data["title"] = pack.title
    if pack.description:
        data["description"] = pack.description
    data["audience"] = pack.audience
    data["hit_policy"] = pack.hit_policy
    if pack.declared_top is not None:
        data["top"] = pack.declared_top
    if pack.holdout_salt:
        data["holdout_salt"] = pack.holdout_salt
    data["rules"] = [rule_data(rule, pack.audience) for rule in pack.rules]
    if pack.examples:
        data["examples"] = [example_data(example) for example in pack.examples]
    return data


def rule_data(rule: Rule, pack_audience: str) -> dict[str, Any]:
    data: dict[str, Any] = {"id": rule.id, "title": rule.title}
    if rule.description:
        data["description"] = rule.description
    if rule.audience != pack_audience:
        data["audience"] = rule.audience
    data["priority"] = rule.priority
    data["when"] = rule.when
    card = rule.card
    card_data: dict[str, Any] = {"headline": card.headline.source}
    if card.details:
        card_data["details"] = [detail.source for detail in card.details]
    card_data["actions"] = list(card.actions)
    if card.offer_type is not None and card.offer_text is not None:
        offer: dict[str, Any] = {"type": card.offer_type, "description": card.offer_text.source}
        if card.offer_max is not None:
            offer["max_value"] = str(card.offer_max)
        card_data["offer"] = offer
    data["card"] = card_data
    if rule.cooldown is not None:
        cooldown = rule.cooldown
        default = cooldown.per == SUBJECTS[rule.audience]
        data["cooldown"] = (
            cooldown.every if default else {"every": cooldown.every, "per": cooldown.per}
        )
    if rule.valid_from or rule.valid_until:
        data["valid"] = {}
        if rule.valid_from:
            data["valid"]["from"] = rule.valid_from.isoformat()
        if rule.valid_until:
            data["valid"]["until"] = rule.valid_until.isoformat()
    if rule.suppress:
        data["suppress"] = rule.suppress
    if rule.holdout:
        data["holdout"] = rule.holdout
    if rule.examples:
        data["examples"] = [example_data(example) for example in rule.examples]
    return data


def example_data(example: Example) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": example.name,
        "facts": {name: plain_value(value) for name, value in example.facts.items()},
    }
    if example.history:
        data["history"] = {key: plain_value(at) for key, at in example.history.items()}
    if example.cards is not None:
        data["cards"] = list(example.cards)
    else:
        data["fires"] = bool(example.fires)
    return data


def plain_value(value: Any) -> Any:
    """A fact value as JSON-like data that reads back to the same value."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):  # dates and datetimes
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        minutes, rest = divmod(value.total_seconds(), 60)
        return f"{int(minutes)}min" if not rest else f"{value.total_seconds() / 3600}h"
    if isinstance(value, tuple):
        return list(value)
    return value


def pack_yaml(pack: Pack) -> str:
    return yaml.safe_dump(pack_data(pack), sort_keys=False, allow_unicode=True, width=100)
