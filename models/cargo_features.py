"""Quote features computed one way for training and for serving: share of wallet, transit.

`frontline` reads the rows from the database and calls these; the demo's truth checks call
them on the generator's own rows. The win model's rate terms (competitor gap, lane gap) live
in `cargo_pricing.QuoteFeatures`, inside the pipeline, so they too are built once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.frames import require_columns

#: Share of wallet is annualised over at least this much booking history, at most a year.
MIN_EXPOSURE_DAYS = 30
WALLET_WINDOW_DAYS = 365


def transit_diff_hours(our_hours: float | None, competitor_hours: float | None) -> float | None:
    """Our transit time minus the competitor's, in hours: positive means we are slower."""
    if our_hours is None or competitor_hours is None:
        return None
    return round(float(our_hours) - float(competitor_hours), 1)


def share_of_wallet(
    customer_ids: pd.Series,
    at: pd.Series,
    bookings: pd.DataFrame,
    annual_spend: pd.Series,
    history_start: pd.Timestamp | None = None,
) -> np.ndarray:
    """Our booked revenue from each customer in the year before AT, annualised, over their
    estimated annual air-cargo spend (ANNUAL_SPEND indexed by customer id), clipped to 0..1.

    BOOKINGS has customer_id, booked_at (naive UTC) and revenue; only bookings made strictly
    before AT count, so a quote's own booking never leaks into its feature. Revenue is
    annualised over the history since HISTORY_START (default: the first booking), at least
    30 days and at most a year.
    """
    require_columns(bookings, ["customer_id", "booked_at", "revenue"], "bookings")
    ids = pd.Series(customer_ids).reset_index(drop=True).astype(int)
    at = pd.Series(pd.to_datetime(at)).reset_index(drop=True)
    if bookings.empty:
        return np.zeros(len(ids))
    start = history_start if history_start is not None else bookings["booked_at"].min()
    cumulative = _cumulative(bookings)
    now = _cumulative_before(cumulative, ids, at)
    then = _cumulative_before(cumulative, ids, at - pd.Timedelta(days=WALLET_WINDOW_DAYS))
    history = (at - pd.Timestamp(start)).dt.total_seconds() / 86400
    exposure = history.clip(MIN_EXPOSURE_DAYS, WALLET_WINDOW_DAYS).to_numpy()
    annual = (now - then) / exposure * 365
    spend = ids.map(annual_spend).to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = annual / spend
    return np.clip(np.nan_to_num(share, posinf=1.0), 0.0, 1.0).round(4)


def _cumulative(bookings: pd.DataFrame) -> pd.DataFrame:
    frame = bookings[["customer_id", "booked_at", "revenue"]].copy()
    frame["customer_id"] = frame["customer_id"].astype(int)
    frame["booked_at"] = pd.to_datetime(frame["booked_at"])
    frame = frame.sort_values(["customer_id", "booked_at"], kind="stable")
    frame["cumulative"] = frame.groupby("customer_id")["revenue"].cumsum()
    return frame[["customer_id", "booked_at", "cumulative"]]


def _cumulative_before(bookings: pd.DataFrame, ids: pd.Series, at: pd.Series) -> np.ndarray:
    """Each customer's cumulative booked revenue strictly before each time."""
    probe = pd.DataFrame({"customer_id": ids, "booked_at": at, "row": np.arange(len(ids))})
    merged = pd.merge_asof(
        probe.sort_values("booked_at"),
        bookings.sort_values("booked_at"),
        on="booked_at",
        by="customer_id",
        allow_exact_matches=False,
    )
    return merged.sort_values("row")["cumulative"].fillna(0.0).to_numpy()
