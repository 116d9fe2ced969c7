"""`frontline models train|card|score` on the demo world, and what they do with bad input."""

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from frontline import create_app, demo, scoring
from frontline.extensions import db
from frontline.scoring import jobs
from frontline.tables import Guest, GuestOffer, Visit

SIZES = demo.Sizes(
    guests=600, shippers=120, quotes=1500, past_flight_days=90, future_flight_days=14
)
TODAY = date(2026, 11, 23)


@pytest.fixture
def model_dir(app, tmp_path) -> Path:
    directory = tmp_path / "models"
    app.config["MODEL_DIR"] = str(directory)
    if "frontline.models" not in app.extensions:
        scoring.init_app(app)
    return directory


@pytest.fixture
def world(app, model_dir):
    with app.app_context():
        demo.load(seed=2, today=TODAY, sizes=SIZES)
    return app


def current(model_dir: Path, name: str) -> str:
    return json.loads((model_dir / name / "current.json").read_text())["version"]


def test_train_card_and_score(world, runner, model_dir):
    result = runner.invoke(args=["models", "train"])
    assert result.exit_code == 0, result.output
    assert "propensity: holdout validation" in result.output  # progress is shown
    for name in scoring.MODEL_NAMES:
        assert f"{name}: saved {current(model_dir, name)}" in result.output
    card = runner.invoke(args=["models", "card", "guest_value"]).output
    for text in ("holdout metrics", "value_baseline:", "mae:", "auc:", "brier:", "calibration:"):
        assert text in card
    card = runner.invoke(args=["models", "card", "cargo_pricing"]).output
    for text in ("win_baseline_lane_rate:", "auc:", "brier:", "p_from", "observed"):
        assert text in card
    assert "beats the naive baseline on every holdout metric checked" in card
    result = runner.invoke(args=["models", "score", "--as-of", "2026-11-23"])
    assert result.exit_code == 0, result.output
    assert "guest value facts" in result.output and "flight facts" in result.output
    assert "Scored in" in result.output


def test_too_little_data_fails_clearly_and_keeps_the_last_model(world, runner, model_dir):
    assert runner.invoke(args=["models", "train", "guest_value"]).exit_code == 0
    good = current(model_dir, "guest_value")
    with world.app_context():
        few = select(Guest.id).order_by(Guest.id).limit(40)
        db.session.execute(delete(Visit).where(Visit.guest_id.not_in(few)))
        db.session.execute(delete(GuestOffer))
        db.session.commit()
    result = runner.invoke(args=["models", "train", "guest_value"])
    assert result.exit_code == 1
    assert "guest_value not trained: too little data to train" in result.output
    assert "need 100" in result.output and "last good model stays current" in result.output
    assert current(model_dir, "guest_value") == good
    result = runner.invoke(args=["models", "train", "propensity"])
    assert result.exit_code == 1 and "0 offers, need 300" in result.output


def test_corrupted_model_is_refused_and_if_missing_retrains_it(world, runner, model_dir):
    assert runner.invoke(args=["models", "train", "cargo_pricing"]).exit_code == 0
    result = runner.invoke(args=["models", "train", "cargo_pricing", "--if-missing"])
    assert "is current; not retrained" in result.output
    model_file = next((model_dir / "cargo_pricing").glob("*.skops"))
    model_file.write_bytes(b"PK" + model_file.read_bytes()[2:-4])
    result = runner.invoke(args=["models", "card", "cargo_pricing"])
    assert result.exit_code == 1 and "corrupted or replaced" in result.output
    result = runner.invoke(args=["models", "train", "cargo_pricing", "--if-missing"])
    assert result.exit_code == 0 and "cargo_pricing: saved" in result.output
    assert runner.invoke(args=["models", "card", "cargo_pricing"]).exit_code == 0


def test_card_and_score_without_models_name_the_command(app, runner, model_dir):
    result = runner.invoke(args=["models", "card", "propensity"])
    assert result.exit_code == 1
    assert "run `frontline models train propensity`" in result.output
    result = runner.invoke(args=["models", "score"])
    assert result.exit_code == 1 and "frontline models train" in result.output


def test_unknown_model_name_is_refused(app, runner, model_dir):
    result = runner.invoke(args=["models", "train", "churn"])
    assert result.exit_code == 2 and "guest_value" in result.output


def test_cargo_pricing_trains_on_the_make_demo_world(tmp_path):
    """The `make demo` world (seed 42, full size): cargo pricing trains and beats its baseline."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
            "MODEL_DIR": str(tmp_path / "models"),
        }
    )
    with app.app_context():
        try:
            db.create_all()
            demo.load(seed=42, today=TODAY)
            trained = jobs.train("cargo_pricing")
            assert jobs.baseline_shortfalls(trained.card) == []
        finally:
            db.session.remove()
            db.engine.dispose()


def test_score_skips_and_reports_rows_dated_out_of_range(world, runner, model_dir):
    """Issue 15: one visit dated 9999-12-31 stopped the whole run (OutOfBoundsDatetime)."""
    with world.app_context():
        for name in ("guest_value", "propensity"):
            jobs.train(name)
        guest = db.session.scalars(select(Guest).limit(1)).one()
        db.session.add(Visit(guest_id=guest.id, visit_date=date(9999, 12, 31), zone="main_floor"))
        offer = db.session.scalars(select(GuestOffer).limit(1)).one()
        offer.offered_on = date(1, 1, 1)
        db.session.commit()
        report = jobs.score_guests(as_of=None)
    assert report.counts["guest value facts"] > 0
    assert report.skipped == {
        "visits dated outside 2000-01-01..2099-12-31": 1,
        "offers dated outside 2000-01-01..2099-12-31": 1,
    }
