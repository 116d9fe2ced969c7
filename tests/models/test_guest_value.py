from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from models import InsufficientDataError, InvalidInputError, guest_value


def test_summary_counts_trips_not_days():
    visits = pd.DataFrame(
        {
            "guest_id": ["a", "a", "a", "a"],
            "visit_date": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-10", "2026-01-10"]),
            "theo_win": [100.0, 50.0, 10.0, 5.0],
            "spend": [0.0, 0.0, 5.0, 0.0],
            "zone": "slots",
        }
    )
    row = guest_value.summarise(visits, "2026-01-31").loc["a"]
    assert (row["n"], row["x"], row["t_x"], row["T"]) == (2, 1, 9.0, 30.0)
    assert row["total"] == pytest.approx(170.0)


def test_beats_historic_rate_on_holdout(guest_model):
    metrics = guest_model.card.metrics
    assert metrics["value"]["mae"] < metrics["value_baseline"]["mae"]
    assert metrics["value"]["rmse"] < metrics["value_baseline"]["rmse"]
    model, base = metrics["return_prob"], metrics["return_prob_baseline"]
    assert model["brier"] < base["brier"]
    assert model["auc"] > max(base["auc"], 0.75)


def test_card_has_holdout_metrics(guest_model):
    card = guest_model.card
    assert card.version.startswith("guest_value@")
    assert {"auc", "brier", "calibration"} <= card.metrics["return_prob"].keys()
    trips = card.metrics["trips_total"]
    assert trips["predicted"] == pytest.approx(trips["actual"], rel=0.25)


def test_score_returns_named_facts(guest_model, casino):
    _, visits = casino
    facts = guest_value.score(guest_model, visits)
    assert list(facts.columns) == [*guest_value.FACTS, "model_version"]
    assert facts.index.is_unique and len(facts) == visits["guest_id"].nunique()
    values = facts["guest.value_90d"]
    assert all(isinstance(v, Decimal) and v == v.quantize(Decimal("0.01")) for v in values)
    assert facts["guest.return_prob_90d"].between(0, 1).all()
    assert (facts["model_version"] == guest_model.version).all()


def test_gone_guest_is_less_likely_to_return(guest_model):
    summary = pd.DataFrame(
        {"x": [6, 6], "t_x": [700.0, 200.0], "T": [720.0, 720.0], "n": [7, 7]}
        | {"log_mean": [6.0, 6.0], "log_ss": [1.0, 1.0]}
    )
    predicted = guest_value.predict_frame(guest_model.pipeline, summary, 90)
    assert predicted["return_prob"].iloc[0] > 2 * predicted["return_prob"].iloc[1]


def test_adt_trend_measures_drop_against_own_past():
    dates = pd.to_datetime(["2025-06-01", "2025-09-01", "2026-03-01", "2026-03-20"])
    visits = pd.DataFrame(
        {"guest_id": "a", "visit_date": dates, "theo_win": [400.0, 400.0, 100.0, 300.0]}
        | {"spend": 0.0}
    )
    trend = guest_value.adt_trend(visits, "2026-03-31")
    assert trend["a"] == pytest.approx(-0.5)


def test_money_arrives_as_decimal_too(casino, guest_model):
    _, visits = casino
    as_decimal = visits.head(500).assign(
        theo_win=[Decimal(str(v)) for v in visits["theo_win"].head(500)]
    )
    facts = guest_value.score(guest_model, as_decimal)
    assert np.isfinite(facts["guest.return_prob_90d"]).all()


def test_too_few_guests_is_refused(casino):
    _, visits = casino
    few = visits[visits["guest_id"].isin(visits["guest_id"].unique()[:30])]
    with pytest.raises(InsufficientDataError, match="too little data"):
        guest_value.train(few)


def test_missing_column_is_named():
    with pytest.raises(InvalidInputError, match="theo_win"):
        guest_value.train(pd.DataFrame({"guest_id": [], "visit_date": [], "spend": []}))
