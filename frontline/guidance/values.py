"""Fact values to JSON and back, keeping money exact (Decimal travels as a string)."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any


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
