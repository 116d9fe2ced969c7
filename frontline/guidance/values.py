"""Fact values to JSON and back, keeping money exact (Decimal travels as a string)."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import guidance_rules


def to_json(value: Any) -> Any:
    """A JSON-safe form of a fact value; missing (None, NaN) becomes null."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in value]
    return value


def facts_to_json(facts: dict[str, Any]) -> dict[str, Any]:
    return {name: to_json(value) for name, value in facts.items()}


#: JSON back to a fact's type, by vocabulary type: the inverse of `to_json` (what JSON keeps
#: as it is, numbers, strings, booleans, lists, needs nothing).
_FROM_JSON = {
    "money": lambda value: Decimal(value),
    "date": lambda value: date.fromisoformat(value),
    "datetime": lambda value: datetime.fromisoformat(value),
    "duration": lambda value: timedelta(seconds=value),
}


_READERS: dict[int, tuple[guidance_rules.Vocabulary, dict[str, Any]]] = {}


def _readers(vocabulary: guidance_rules.Vocabulary) -> dict[str, Any]:
    """Per fact name: how to read its JSON back (None: as it is), made once per vocabulary."""
    known = _READERS.get(id(vocabulary))
    if known is None or known[0] is not vocabulary:
        readers = {name: _FROM_JSON.get(fact.type) for name, fact in vocabulary.facts.items()}
        known = _READERS[id(vocabulary)] = (vocabulary, readers)
    return known[1]


def facts_from_json(data: dict[str, Any], vocabulary: guidance_rules.Vocabulary) -> dict:
    """Facts written by `facts_to_json`, typed again; names the vocabulary lacks are left out."""
    readers, facts = _readers(vocabulary), {}
    for name, value in data.items():
        if name not in readers:
            continue
        read = readers[name]
        facts[name] = value if read is None or value is None else read(value)
    return facts
