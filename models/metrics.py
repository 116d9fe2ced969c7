"""Holdout metrics for model cards: AUC, Brier score, calibration table, value errors."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score


def classifier_metrics(y: np.ndarray, p: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """AUC, Brier score, log loss and a calibration table for probabilities P of outcomes Y."""
    y = np.asarray(y, dtype=int)
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    both_classes = 0 < y.sum() < len(y)
    return {
        "n": len(y),
        "positive_rate": float(y.mean()),
        "auc": float(roc_auc_score(y, p)) if both_classes else float("nan"),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "calibration": calibration_table(y, p, bins),
    }


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """Rows of (predicted range, count, mean predicted, observed rate) over quantile bins."""
    order = np.argsort(p, kind="stable")
    rows = []
    for chunk in np.array_split(order, min(bins, len(order))):
        if len(chunk) == 0:
            continue
        rows.append(
            {
                "p_from": round(float(p[chunk].min()), 4),
                "p_to": round(float(p[chunk].max()), 4),
                "n": len(chunk),
                "predicted": round(float(p[chunk].mean()), 4),
                "observed": round(float(y[chunk].mean()), 4),
            }
        )
    return rows


def value_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Errors of per-customer value predictions against actuals, and the totals."""
    actual = np.asarray(actual, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    return {
        "mae": float(np.mean(np.abs(predicted - actual))),
        "rmse": float(np.sqrt(np.mean((predicted - actual) ** 2))),
        "total_predicted": float(predicted.sum()),
        "total_actual": float(actual.sum()),
    }
