"""The guest-value method on public CDNOW data (Fader, Hardie & Lee 2005 setting)."""

import pandas as pd
import pytest

from models import cdnow, guest_value


@pytest.fixture(scope="module")
def report():
    return cdnow.validate()


def test_summary_matches_the_published_calibration_summary():
    summary = guest_value.summarise(cdnow.load(), cdnow.CALIBRATION_END, trip_join_days=0)
    published = pd.read_csv(cdnow.data_path("cdnow_customers_summary.csv"))
    assert len(summary) == len(published) == 2357
    assert summary["x"].sum() == published["frequency"].sum()
    assert (summary["T"] / 7).sum() == pytest.approx(published["T"].sum(), rel=1e-5)


def test_parameters_match_the_paper(report):
    metrics, _ = report
    for name, value in cdnow.PUBLISHED_PARAMS.items():
        assert metrics["fitted"][name] == pytest.approx(value, rel=0.01)


def test_holdout_repeat_purchases_close_to_actual(report):
    metrics, _ = report
    total = metrics["trips_total"]
    assert total["actual"] == 1882
    assert total["predicted"] == pytest.approx(total["actual"], rel=0.15)
