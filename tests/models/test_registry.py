import json

import pytest
import skops.io as sio
from sklearn.preprocessing import FunctionTransformer

from models import ModelFileError, UntrustedTypeError, VersionMismatchError, registry


def test_save_then_load_round_trips(guest_model, tmp_path):
    path = registry.save(guest_model, tmp_path)
    assert path.exists() and path.with_suffix("").with_suffix(".card.json").exists()
    loaded = registry.load(tmp_path, "guest_value")
    assert loaded.version == guest_model.version
    assert loaded.card.metrics == json.loads(guest_model.card.to_json())["metrics"]
    assert set(sio.get_untrusted_types(file=path)) <= registry.TRUSTED_TYPES


def test_card_text_shows_holdout_metrics(guest_model):
    text = registry.card_text(guest_model.card)
    assert guest_model.version in text and "auc" in text and "calibration" in text


def test_missing_model_says_train_first(tmp_path):
    with pytest.raises(ModelFileError, match="train it first"):
        registry.load(tmp_path, "guest_value")


def test_corrupted_file_is_refused_and_named(guest_model, tmp_path):
    path = registry.save(guest_model, tmp_path)
    path.write_bytes(path.read_bytes()[:-50])
    with pytest.raises(ModelFileError, match="corrupted"):
        registry.load(tmp_path, "guest_value")


def test_foreign_types_are_refused_by_name(guest_model, tmp_path):
    path = registry.save(guest_model, tmp_path)
    foreign = sio.dumps({"pipeline": FunctionTransformer(print)})
    path.write_bytes(foreign)
    _rewrite_card(path, file_sha256=registry.hashlib.sha256(foreign).hexdigest())
    with pytest.raises(UntrustedTypeError, match=r"builtins\.print"):
        registry.load(tmp_path, "guest_value")


def test_other_library_versions_are_refused(guest_model, tmp_path):
    path = registry.save(guest_model, tmp_path)
    versions = {**guest_model.card.library_versions, "scikit-learn": "0.24.2"}
    _rewrite_card(path, library_versions=versions)
    with pytest.raises(VersionMismatchError, match=r"scikit-learn 0\.24\.2 \(running"):
        registry.load(tmp_path, "guest_value")


def test_failed_save_leaves_last_good_model(guest_model, tmp_path, monkeypatch):
    registry.save(guest_model, tmp_path)
    broken = registry.TrainedModel(card=guest_model.card, pipeline=guest_model.pipeline)
    broken.card = registry.ModelCard.from_json(guest_model.card.to_json())
    broken.card.version = "guest_value@2099-01-01T00:00:00Z-broken"

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(registry.os, "replace", fail)
    with pytest.raises(OSError):
        registry.save(broken, tmp_path)
    monkeypatch.undo()
    assert registry.load(tmp_path, "guest_value").version == guest_model.version
    assert not list((tmp_path / "guest_value").glob("*.tmp"))


def _rewrite_card(model_path, **changes):
    card_path = model_path.with_suffix("").with_suffix(".card.json")
    card = json.loads(card_path.read_text())
    card.update(changes)
    card_path.write_text(json.dumps(card))
