"""Checks shared by the models: required columns, dates, minimum sizes."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from models.errors import InsufficientDataError, InvalidInputError


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise naming every missing column of FRAME."""
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInputError(f"{what} must be a pandas DataFrame, not {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInputError(f"{what} is missing column(s): {', '.join(missing)}")


def as_dates(values: pd.Series, name: str) -> pd.Series:
    """A date/datetime column as naive midnight timestamps (time of day dropped)."""
    try:
        stamps = pd.to_datetime(values)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"column {name!r} must hold dates: {exc}") from exc
    if stamps.isna().any():
        raise InvalidInputError(f"column {name!r} has missing dates")
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps.dt.normalize().astype("datetime64[ns]")


def as_timestamp(value: object, name: str) -> pd.Timestamp:
    """One date or datetime as a naive timestamp."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name} must be a date: {exc}") from exc
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp


def require_rows(count: int, minimum: int, what: str) -> None:
    """Raise when COUNT is below MINIMUM, saying how many are needed."""
    if count < minimum:
        raise InsufficientDataError(f"too little data to train: {count} {what}, need {minimum}")
