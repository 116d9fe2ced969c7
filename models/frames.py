"""Checks shared by the models: required columns, dates, minimum sizes."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from models.errors import InsufficientDataError, InvalidInputError
from models.money import to_float


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


def visit_days(visits: pd.DataFrame) -> pd.DataFrame:
    """One row per guest and day with theo and spend in float dollars, sorted."""
    frame = pd.DataFrame(
        {
            "guest_id": visits["guest_id"].astype(str).to_numpy(),
            "visit_date": as_dates(visits["visit_date"], "visit_date").to_numpy(),
            "theo": to_float(visits["theo_win"], "theo_win"),
            "spend": to_float(visits["spend"], "spend"),
        }
    )
    frame[["theo", "spend"]] = frame[["theo", "spend"]].fillna(0.0)
    # Several rows on one day (zones, sessions) are one visit day.
    return frame.groupby(["guest_id", "visit_date"], as_index=False, sort=True).sum()
