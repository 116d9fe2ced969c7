"""Model outputs stored as typed facts: the vocabulary says each fact's type, and the
JSON encoding keeps it exact (money as a decimal string, fractions as numbers, null for
missing)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import pandas as pd
from sqlalchemy import bindparam, delete, insert, select

from guidance_rules.errors import UnknownFactError
from guidance_rules.vocabulary import Fact, load_vocabulary

from ..extensions import db
from ..tables import FactValue, utcnow

VERSION_COLUMN = "model_version"
_CHUNK = 900  # ids per IN (...) query, under every database's parameter limit


@dataclass(frozen=True)
class StoredFact:
    """One stored fact: its typed value (None when missing) and where it came from."""

    name: str
    value: Any
    model_version: str
    computed_at: datetime


def declared(name: str) -> Fact:
    """The vocabulary entry for NAME; an undeclared fact is refused."""
    try:
        return load_vocabulary()[name]
    except UnknownFactError as error:
        raise ValueError(f"cannot store {name}: {error}") from None


def is_missing(value: Any) -> bool:
    """None, NaN (float or Decimal) and pandas' NA all mean 'the model had no value'."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, Decimal) and not value.is_finite()


def encode(name: str, value: Any) -> Any:
    """A fact value as JSON: money as a string (exact), numbers as numbers, missing as None."""
    if is_missing(value):
        return None
    kind = declared(name).type
    if kind == "money":
        if not isinstance(value, (Decimal, int)):
            raise ValueError(f"{name} is money and must be a Decimal, not {type(value).__name__}")
        return str(value)
    if kind in ("number", "percent", "duration"):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{name} must be a finite number, not {value!r}")
        return number
    if kind == "integer":
        return int(value)
    if kind == "boolean":
        return bool(value)
    if kind in ("date", "datetime"):
        return value.isoformat()
    if kind == "list":
        return [str(item) for item in value]
    return str(value)


def decode(name: str, raw: Any) -> Any:
    """The typed value back from its JSON form (the inverse of `encode`)."""
    if raw is None:
        return None
    try:
        kind = load_vocabulary()[name].type
    except UnknownFactError:
        return raw  # a fact dropped from the vocabulary since it was stored: leave it raw
    if kind == "money":
        return Decimal(raw)
    if kind in ("number", "percent", "duration"):
        return float(raw)
    if kind == "integer":
        return int(raw)
    if kind == "date":
        return date.fromisoformat(raw)
    if kind == "datetime":
        return datetime.fromisoformat(raw)
    return raw


def save_facts(subject_type: str, frame: pd.DataFrame, computed_at: datetime | None = None) -> int:
    """Replace every stored fact named in FRAME's columns for SUBJECT_TYPE, in one transaction.

    FRAME is indexed by subject id, one column per fact plus `model_version`. Facts of
    these names for subjects missing from FRAME are deleted: they are out of date.
    """
    names = _fact_columns(subject_type, frame)
    rows = list(_rows(subject_type, frame, names, computed_at or utcnow()))
    try:
        db.session.execute(
            delete(FactValue).where(
                FactValue.subject_type == subject_type, FactValue.name.in_(names)
            )
        )
        if rows:
            db.session.execute(insert(FactValue), rows)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(rows)


def _fact_columns(subject_type: str, frame: pd.DataFrame) -> list[str]:
    if VERSION_COLUMN not in frame.columns:
        raise ValueError(f"facts need a {VERSION_COLUMN!r} column")
    names = [str(c) for c in frame.columns if c != VERSION_COLUMN]
    for name in names:
        if not name.startswith(f"{subject_type}."):
            raise ValueError(f"{name} is not a {subject_type} fact")
        declared(name)
    return names


def _rows(
    subject_type: str, frame: pd.DataFrame, names: list[str], at: datetime
) -> Iterable[dict[str, Any]]:
    versions = frame[VERSION_COLUMN].astype(str).to_numpy()
    ids = [int(i) for i in frame.index]
    for name in names:
        for subject_id, value, version in zip(ids, frame[name].to_numpy(), versions, strict=True):
            yield {
                "subject_type": subject_type,
                "subject_id": subject_id,
                "name": name,
                "value": encode(name, value),
                "model_version": version,
                "computed_at": at,
            }


@cache  # built once: every arrival and card screen reads a guest's facts
def _facts_of():
    return select(FactValue).where(
        FactValue.subject_type == bindparam("subject_type"),
        FactValue.subject_id.in_(bindparam("ids", expanding=True)),
    )


def load_facts(subject_type: str, subject_id: int) -> dict[str, StoredFact]:
    """Every stored fact about one subject, by fact name."""
    return load_facts_many(subject_type, [subject_id]).get(int(subject_id), {})


def load_facts_many(subject_type: str, ids: Iterable[int]) -> dict[int, dict[str, StoredFact]]:
    """Stored facts for many subjects: {subject_id: {fact name: StoredFact}}."""
    wanted = sorted({int(i) for i in ids})
    found: dict[int, dict[str, StoredFact]] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = {"subject_type": subject_type, "ids": wanted[start : start + _CHUNK]}
        for row in db.session.scalars(_facts_of(), chunk):
            found.setdefault(row.subject_id, {})[row.name] = StoredFact(
                row.name, decode(row.name, row.value), row.model_version, row.computed_at
            )
    return found
