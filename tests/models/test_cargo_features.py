"""Share of wallet, the feature training and serving both compute (models/cargo_features.py)."""

import numpy as np
import pandas as pd
import pytest

from models import cargo_features

AT = pd.Timestamp("2026-06-01 12:00").as_unit("ns")


def test_share_counts_the_year_strictly_before_the_quote():
    bookings = pd.DataFrame(
        {
            "customer_id": [7, 7, 7, 8],
            "booked_at": AT - pd.to_timedelta([400, 10, 0, 5], unit="D"),
            "revenue": [5_000.0, 1_000.0, 9_000.0, 4_000.0],
        }
    )
    share = cargo_features.share_of_wallet(
        pd.Series([7, 7, 8, 9]),
        pd.Series([AT, AT - pd.Timedelta(days=10), AT, AT]),
        bookings,
        pd.Series({7: 2_000.0, 8: 8_000.0, 9: 1_000.0}),
        history_start=AT - pd.Timedelta(days=730),
    )
    # a year back, not the booking at the quote's own moment; nothing before day -10 but
    # the one over a year before; 4,000 of 8,000; no bookings at all
    assert list(share) == [0.5, 0.0, 0.5, 0.0]


def test_bookings_at_one_instant_count_together():
    """Among many bookings, a customer's two at one instant both count before a later quote
    (an as-of merge after an unstable sort by time could stop between them)."""
    rng = np.random.default_rng(0)
    others = pd.DataFrame(
        {
            "customer_id": rng.integers(100, 400, 5_000),
            "booked_at": (AT - pd.to_timedelta(rng.uniform(1, 300, 5_000), unit="D")).as_unit("ns"),
            "revenue": rng.uniform(100, 1_000, 5_000),
        }
    )
    moments = (AT - pd.to_timedelta(rng.uniform(2, 200, 40).round(), unit="D")).as_unit("ns")
    pairs = pd.DataFrame(
        {
            "customer_id": 7,
            "booked_at": np.repeat(moments, 2),
            "revenue": np.tile([1_000.0, 2_000.0], 40),
        }
    )
    bookings = pd.concat([others, pairs]).sample(frac=1.0, random_state=1)
    asked = moments + pd.Timedelta(hours=1)  # just after each pair
    share = cargo_features.share_of_wallet(
        pd.Series(7, index=range(40)),
        pd.Series(asked),
        bookings,
        pd.Series({7: 365_000.0}),
        history_start=AT - pd.Timedelta(days=730),
    )
    expected = [3_000.0 * (moments <= m).sum() / 365_000.0 for m in moments]
    assert share == pytest.approx(np.round(expected, 4), abs=1e-4)
