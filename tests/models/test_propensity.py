import pandas as pd
import pytest

from models import InsufficientDataError, InvalidInputError, propensity, registry


def test_features_see_only_the_past():
    visits = pd.DataFrame(
        {"guest_id": "a", "visit_date": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"])}
        | {"theo_win": [100.0, 200.0, 900.0], "spend": 0.0}
    )
    offers = pd.DataFrame(
        {"guest_id": "a", "offer_type": ["spa", "spa", "spa"], "accepted": [True, False, True]}
        | {"offered_on": pd.to_datetime(["2026-01-15", "2026-03-01", "2026-03-02"])}
    )
    features = propensity.offer_features(offers, visits)
    assert features["visit_days_365"].tolist() == [1, 2, 3]
    assert features["adt_365"].tolist() == [100.0, 150.0, 400.0]
    assert features["prior_offers_type"].tolist() == [0, 1, 2]
    assert features["prior_accept_rate_type"].tolist()[1:] == [1.0, 0.5]
    assert features["days_since_visit"].tolist() == [14, 28, 1]


def test_beats_historic_type_rate_on_holdout(propensity_model):
    metrics = propensity_model.card.metrics
    model, base = metrics["accept"], metrics["accept_baseline_type_rate"]
    assert model["brier"] < base["brier"]
    assert model["auc"] > base["auc"] + 0.05


def test_probabilities_are_calibrated_on_holdout(propensity_model):
    table = propensity_model.card.metrics["accept"]["calibration"]
    gaps = [abs(row["predicted"] - row["observed"]) for row in table]
    assert max(gaps) < 0.12 and sum(gaps) / len(gaps) < 0.05


def test_score_gives_one_fact_per_offer_type(propensity_model, casino, offers):
    guests, visits = casino
    facts = propensity.score(propensity_model, visits, guests, offers, as_of="2026-11-01")
    assert list(facts.columns) == [*propensity.FACTS, "model_version"]
    assert len(facts) == len(guests)
    assert facts[list(propensity.FACTS)].stack().between(0, 1).all()


def test_save_load_scores_the_same(propensity_model, casino, tmp_path):
    guests, visits = casino
    registry.save(propensity_model, tmp_path)
    loaded = registry.load(tmp_path, "propensity")
    ids = guests["guest_id"].head(50).tolist()
    before = propensity.score(propensity_model, visits, guests, as_of="2026-11-01", guest_ids=ids)
    after = propensity.score(loaded, visits, guests, as_of="2026-11-01", guest_ids=ids)
    pd.testing.assert_frame_equal(before, after)


def test_unknown_offer_type_is_named(casino, offers):
    _, visits = casino
    with pytest.raises(InvalidInputError, match="'massage'"):
        propensity.train(offers.assign(offer_type="massage"), visits)


def test_too_few_offers_is_refused(casino, offers):
    _, visits = casino
    with pytest.raises(InsufficientDataError, match="too little data"):
        propensity.train(offers.head(100), visits)


def test_card_describes_the_deployed_model(casino, offers):
    """Bug 5: 3,400 offers put the holdout's training part under 3,000 rows and the refit
    over it; both must use the calibration the deployed model uses."""
    guests, visits = casino
    assert len(offers) >= 3400
    trained = propensity.train(offers.head(3400), visits, guests)
    deployed = trained.pipeline.named_steps["model"].method
    assert deployed == "isotonic"
    assert trained.card.metrics["calibration_method"] == deployed
    assert trained.card.params["calibration"] == deployed
    assert set(trained.card.metrics["by_offer_type"]) == set(propensity.OFFER_TYPES)
    assert len(trained.card.metrics["accept"]["calibration"]) == 10  # by decile
