"""Trained models, loaded once per process from MODEL_DIR and reloaded when retrained."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

from models.errors import ModelFileError

if TYPE_CHECKING:
    from models.registry import TrainedModel

MODEL_NAMES = ("guest_value", "propensity", "cargo_pricing")
EXTENSION = "frontline.models"


class ModelNotTrainedError(ModelFileError):
    """No saved model of that name yet; the message names the command that makes one."""


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = ModelStore(app)


def model_store() -> ModelStore:
    """The current app's model store."""
    try:
        return current_app.extensions[EXTENSION]
    except KeyError:
        raise RuntimeError("scoring.init_app(app) was not called in create_app") from None


def load_current(directory: str | Path, name: str) -> TrainedModel:
    """Load the current saved model NAME, or say which command trains it."""
    from models import registry  # scikit-learn and skops load only when a model is needed

    if name not in MODEL_NAMES:
        raise ModelFileError(f"unknown model {name!r}; known: {', '.join(MODEL_NAMES)}")
    if not (Path(directory) / name / "current.json").exists():
        raise ModelNotTrainedError(
            f"no trained {name} model in {directory}: run `frontline models train {name}`"
        )
    return registry.load(directory, name)


class ModelStore:
    """Each model is loaded at most once per version; a bad new file never replaces a good one.

    The cache key is the `current.json` pointer's identity (registry.save replaces it by
    rename), so a retrain is picked up by the next call without a restart, at the cost of
    one stat() per call.
    """

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[Any, TrainedModel]] = {}

    @property
    def directory(self) -> Path:
        return Path(self._app.config["MODEL_DIR"])

    def get(self, name: str) -> TrainedModel:
        """The current model NAME (raises ModelFileError when there is none usable)."""
        key = self._pointer_key(name)
        cached = self._cache.get(name)
        if cached and cached[0] == key:
            return cached[1]
        with self._lock:  # one thread loads; the others wait and reuse it
            cached = self._cache.get(name)
            if cached and cached[0] == key:
                return cached[1]
            return self._load(name, key, cached)

    def _load(self, name: str, key: Any, cached: tuple[Any, TrainedModel] | None) -> TrainedModel:
        try:
            model = load_current(self.directory, name)
        except ModelFileError as error:
            if cached is None:
                raise
            # Keep serving the last good model; remember the bad pointer so we don't retry it
            # on every request.
            self._app.logger.error("%s; still using %s", error, cached[1].version)
            self._cache[name] = (key, cached[1])
            return cached[1]
        self._cache[name] = (key, model)
        return model

    def _pointer_key(self, name: str) -> Any:
        pointer = self.directory / name / "current.json"
        try:
            stat = pointer.stat()
        except FileNotFoundError:
            return (str(pointer), None)
        return (str(pointer), stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def clear(self) -> None:
        """Forget loaded models (tests; a deliberate reload)."""
        with self._lock:
            self._cache.clear()


def model_cards() -> dict[str, Any]:
    """Each model's current card, or why there is none (for the analyst's models page)."""
    from models import registry

    directory = model_store().directory
    cards: dict[str, Any] = {}
    for name in MODEL_NAMES:
        try:
            cards[name] = registry.current_card(directory, name)
        except ModelFileError as error:
            cards[name] = str(error)
    return cards
