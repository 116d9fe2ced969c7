"""Glue between the database and `models/`: frames in, trained models, stored facts out.

Kept light on import (no pandas or scikit-learn here): every CLI command and web worker
imports the app, and only the jobs and views that need a model pay for loading one.
"""

from .store import MODEL_NAMES, ModelNotTrainedError, ModelStore, init_app, model_store

__all__ = ["MODEL_NAMES", "ModelNotTrainedError", "ModelStore", "init_app", "model_store"]
