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
    ids = pd.Series(customer_ids).to_numpy(dtype=np.int64)
    at = pd.to_datetime(pd.Series(at)).to_numpy(dtype="datetime64[ns]")
    if bookings.empty:
        return np.zeros(len(ids))
    start = history_start if history_start is not None else bookings["booked_at"].min()
    revenue = _revenue_in_year_before(bookings, ids, at)
    history = (at - np.datetime64(pd.Timestamp(start), "ns")) / np.timedelta64(1, "D")
    exposure = np.clip(history, MIN_EXPOSURE_DAYS, WALLET_WINDOW_DAYS)
    annual = revenue / exposure * 365
    spend = pd.Series(ids).map(annual_spend).to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = annual / spend
    return np.clip(np.nan_to_num(share, posinf=1.0), 0.0, 1.0).round(4)


def _revenue_in_year_before(bookings: pd.DataFrame, ids: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Each customer's booked revenue from a year before each time up to, not at, that time.

    Bookings are sorted by customer, then time; per customer asked about, a binary search in
    the running total finds the bookings before each time. Ties in time count together. (One
    quote's guidance asks about one customer; a pandas as-of merge cost more than the rest of
    the feature, and with two bookings at one instant it could stop between them.)
    """
    customer = bookings["customer_id"].to_numpy(dtype=np.int64)
    when = pd.to_datetime(bookings["booked_at"]).to_numpy(dtype="datetime64[ns]")
    order = np.lexsort((when, customer))
    customer, when = customer[order], when[order]
    revenue = bookings["revenue"].to_numpy(dtype=float)[order]
    year = np.timedelta64(WALLET_WINDOW_DAYS, "D")
    out = np.zeros(len(ids))
    for cid in np.unique(ids):
        lo, hi = np.searchsorted(customer, cid, "left"), np.searchsorted(customer, cid, "right")
        if lo == hi:
            continue
        total = np.concatenate([[0.0], np.cumsum(revenue[lo:hi])])
        asked = ids == cid
        before = total[np.searchsorted(when[lo:hi], at[asked], "left")]
        year_ago = total[np.searchsorted(when[lo:hi], at[asked] - year, "left")]
        out[asked] = before - year_ago
    return out
