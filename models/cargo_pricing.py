"""Cargo pricing: calibrated win probability, displacement cost, and price guidance per quote.

The win model is a logistic regression whose only rate terms are log(rate / market) and
log(rate / lane reference), where the market is the best competitor rate seen or, when
none was seen, the lane's typical competitor rate (learned in training): so a quote with no
competitor keeps the full price response, anchored on the lane's market, instead of leaning
on the lane term alone (which halved its slope). So for one quote the log-odds are exactly
a + b * log(rate):
two pipeline evaluations per quote give a and b, and the price search runs on those
numbers. That keeps single-quote guidance and batches fast, the price response smooth and
monotone (b < 0 is checked at training), and the probabilities calibrated by maximum
likelihood (checked on the time holdout, calibration table in the card).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

from models import registry
from models.displacement import BookingCurve, chargeable_kg
from models.errors import InvalidInputError, ModelError, UnknownLaneError
from models.frames import require_columns, require_rows
from models.metrics import classifier_metrics
from models.money import to_float

NAME = "cargo_pricing"
HOLDOUT_SHARE = 0.2
MIN_QUOTES = 300
MIN_CLASS = 30
Progress = Callable[[str], None] | None
TIERS = ("key", "large", "standard", "small")
NUMERIC = [
    "log_rate_vs_comp",
    "comp_missing",
    "log_rate_vs_lane",
    "transit_diff",
    "transit_missing",
    "log_chargeable",
    "log_days",
    "load_factor",
    "share_of_wallet",
]
CATEGORICAL = ["lane", "customer_tier"]
QUOTE_COLUMNS = [
    "customer_tier",
    "share_of_wallet",
    "lane",
    "weight_kg",
    "volume_m3",
    "days_to_departure",
    "load_factor",
    "competitor_best_rate",
    "transit_diff_hours",
]


class QuoteFeatures(TransformerMixin, BaseEstimator):
    """Quote rows -> model features; learns each lane's reference rate and typical market."""

    def fit(self, X: pd.DataFrame, y: Any = None) -> QuoteFeatures:
        """Learn the known lanes, each lane's median quoted rate and median competitor rate."""
        require_columns(X, [*QUOTE_COLUMNS, "rate_per_kg"], "quotes")
        rate = pd.Series(to_float(X["rate_per_kg"], "rate_per_kg"), index=X.index)
        lane = X["lane"].astype(str)
        self.lanes_ = np.array(sorted(lane.unique()))
        self.lane_ref_rate_ = rate.groupby(lane).median().reindex(self.lanes_).to_numpy()
        comp = pd.Series(to_float(X["competitor_best_rate"], "competitor_best_rate"), X.index)
        market = comp[comp > 0].groupby(lane[comp > 0]).median().reindex(self.lanes_)
        self.lane_market_rate_ = market.fillna(pd.Series(self.lane_ref_rate_, self.lanes_))
        self.lane_market_rate_ = self.lane_market_rate_.to_numpy()
        self.n_features_in_ = len(X.columns)
        return self

    def lane_index(self, lanes: pd.Series) -> np.ndarray:
        """Position of each lane among the known lanes; unknown lanes raise, naming them."""
        check_is_fitted(self)
        idx = pd.Index(self.lanes_).get_indexer(lanes.astype(str))
        if (idx < 0).any():
            unknown = sorted(set(lanes.astype(str)[idx < 0]))
            raise UnknownLaneError(
                f"unknown lane(s) {', '.join(unknown)}; known lanes: {', '.join(self.lanes_)}"
            )
        return idx

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Numeric features (a missing competitor rate or transit is flagged, not zeroed)."""
        require_columns(X, [*QUOTE_COLUMNS, "rate_per_kg"], "quotes")
        lane = self.lane_index(X["lane"])
        rate = to_float(X["rate_per_kg"], "rate_per_kg")
        comp = to_float(X["competitor_best_rate"], "competitor_best_rate")
        if np.any(~(rate > 0)):
            raise InvalidInputError("rate_per_kg must be a positive amount")
        comp = np.where(comp > 0, comp, np.nan)
        missing = np.isnan(comp).astype(float)
        market = np.where(np.isnan(comp), self.lane_market_rate_[lane], comp)
        transit = X["transit_diff_hours"].to_numpy(dtype=float)
        days = X["days_to_departure"].to_numpy(dtype=float)
        columns = {
            "log_rate_vs_comp": np.log(rate / market),
            "comp_missing": missing,
            "log_rate_vs_lane": np.log(rate / self.lane_ref_rate_[lane]),
            "transit_diff": np.nan_to_num(transit),
            "transit_missing": np.isnan(transit).astype(float),
            "log_chargeable": np.log1p(chargeable_kg(X)),
            "log_days": np.log1p(np.clip(np.nan_to_num(days), 0, None)),
            "load_factor": np.clip(X["load_factor"].to_numpy(dtype=float), 0, 1.5),
            "share_of_wallet": np.clip(X["share_of_wallet"].to_numpy(dtype=float), 0, 1),
            "lane": X["lane"].astype(str).to_numpy(),
            "customer_tier": X["customer_tier"].astype(str).to_numpy(),
        }
        out = pd.DataFrame(columns, index=X.index)
        return out


def build_pipeline(C: float = 1.0) -> Pipeline:
    """Quote features -> scale numbers, one-hot lane and tier -> logistic regression."""
    encode = ColumnTransformer(
        [
            ("numbers", StandardScaler(), NUMERIC),
            (
                "categories",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                CATEGORICAL,
            ),
        ]
    )
    return Pipeline(
        [
            ("quote", QuoteFeatures()),
            ("encode", encode),
            ("model", LogisticRegression(C=C, max_iter=2000)),
        ]
    )


def price_response(pipeline: Pipeline, quotes: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per quote (a, b) with log-odds of winning = a + b * log(rate); rate column not needed.

    Reads the fitted scaler, encoder and coefficients as one linear form instead of running
    the pipeline: the same numbers (a test checks it) without the per-call overhead of
    ColumnTransformer, which dominated single-quote latency.
    """
    quote: QuoteFeatures = pipeline.named_steps["quote"]
    ref = quote.lane_ref_rate_[quote.lane_index(quotes["lane"])]
    features = quote.transform(quotes.assign(rate_per_kg=ref))
    intercept, weights, offsets = linear_form(pipeline)
    z = intercept + features[NUMERIC].to_numpy() @ weights
    for column, offset in offsets.items():
        z += np.array([offset.get(v, 0.0) for v in features[column].to_numpy()])
    w = dict(zip(NUMERIC, weights, strict=True))
    slope = np.full(len(features), w["log_rate_vs_comp"] + w["log_rate_vs_lane"])
    return z - slope * np.log(ref), slope


def linear_form(pipeline: Pipeline) -> tuple[float, np.ndarray, dict[str, dict[str, float]]]:
    """The fitted pipeline as intercept, weights on raw numeric features, category offsets."""
    encode = pipeline.named_steps["encode"]
    scaler = encode.named_transformers_["numbers"]
    onehot = encode.named_transformers_["categories"]
    model = pipeline.named_steps["model"]
    coef = model.coef_[0]
    weights = coef[: len(NUMERIC)] / scaler.scale_
    intercept = float(model.intercept_[0] - np.sum(weights * scaler.mean_))
    offsets, at = {}, len(NUMERIC)
    for column, categories in zip(CATEGORICAL, onehot.categories_, strict=True):
        offsets[column] = dict(zip(categories, coef[at : at + len(categories)], strict=True))
        at += len(categories)
    return intercept, weights, offsets


def check_price_response(pipeline: Pipeline, quotes: pd.DataFrame) -> None:
    """Refuse a win model in which a higher rate does not lower the chance of winning."""
    _, slope = price_response(pipeline, quotes)
    if np.any(slope >= 0):
        raise ModelError(
            "win-probability model did not learn that a higher rate loses quotes "
            f"(rate slope up to {slope.max():.3f}); check the rate and won columns"
        )


def train(
    quotes: pd.DataFrame,
    flights: pd.DataFrame,
    bookings: pd.DataFrame,
    *,
    progress: Progress = None,
) -> registry.TrainedModel:
    """Win model validated on the latest 20% of quotes in time, then refit; plus booking curves.

    The holdout model is built exactly like the deployed one (same pipeline, same features),
    so the card's metrics describe the model that serves.
    """
    say = progress or (lambda _msg: None)
    require_columns(quotes, [*QUOTE_COLUMNS, "quoted_at", "rate_per_kg", "won"], "quotes")
    require_rows(len(quotes), MIN_QUOTES, "quotes")
    quotes = quotes.sort_values("quoted_at", kind="stable").reset_index(drop=True)
    won = quotes["won"].astype(bool).to_numpy().astype(int)
    require_rows(int(won.sum()), MIN_CLASS, "won quotes")
    require_rows(int(len(won) - won.sum()), MIN_CLASS, "lost quotes")
    split = int(len(quotes) * (1 - HOLDOUT_SHARE))
    say(f"{NAME}: holdout validation on the last {len(quotes) - split} quotes")
    metrics = _holdout(quotes, won, split)
    say(f"{NAME}: refitting on all {len(quotes)} quotes")
    pipeline = build_pipeline().fit(quotes, won)
    check_price_response(pipeline, quotes)
    say(f"{NAME}: booking curves from {len(bookings)} bookings")
    curve = BookingCurve().fit(bookings, flights=flights)
    card = _card(quotes, split, metrics, pipeline)
    say(f"{NAME}: trained {card.version}")
    return registry.TrainedModel(card=card, pipeline=pipeline, extras={"booking_curve": curve})


def _holdout(quotes: pd.DataFrame, won: np.ndarray, split: int) -> dict[str, Any]:
    fit, test = quotes.iloc[:split], quotes.iloc[split:]
    pipeline = build_pipeline().fit(fit, won[:split])
    known = test["lane"].astype(str).isin(pipeline.named_steps["quote"].lanes_).to_numpy()
    test, y = test[known], won[split:][known]
    p = pipeline.predict_proba(test)[:, 1]
    lane_rate = pd.Series(won[:split]).groupby(fit["lane"].astype(str).to_numpy()).mean()
    baseline = test["lane"].astype(str).map(lane_rate).to_numpy(dtype=float)
    seen = test["competitor_best_rate"].notna().to_numpy()
    return {
        "win": classifier_metrics(y, p),
        "win_competitor_seen": classifier_metrics(y[seen], p[seen]),
        "win_competitor_missing": classifier_metrics(y[~seen], p[~seen], bins=5),
        "win_baseline_lane_rate": classifier_metrics(y, baseline),
        "holdout_from": str(pd.Timestamp(test["quoted_at"].min())),
    }


def price_slopes(pipeline: Pipeline, quotes: pd.DataFrame) -> dict[str, float]:
    """The fitted d log-odds / d log(rate), for a quote with and without a competitor rate."""
    row = quotes.head(1).assign(competitor_best_rate=1.0)
    _, seen = price_response(pipeline, row)
    _, missing = price_response(pipeline, row.assign(competitor_best_rate=np.nan))
    return {"competitor_seen": float(seen[0]), "competitor_missing": float(missing[0])}


def _card(
    quotes: pd.DataFrame, split: int, metrics: dict[str, Any], pipeline: Pipeline
) -> registry.ModelCard:
    trained_at = registry.utc_now()
    columns = [*QUOTE_COLUMNS, "quoted_at", "rate_per_kg", "won"]
    fingerprint = registry.data_fingerprint(quotes[columns].astype(str))
    return registry.ModelCard(
        name=NAME,
        version=registry.make_version(NAME, trained_at, fingerprint),
        trained_at=trained_at.isoformat(),
        data_window={
            "start": str(pd.Timestamp(quotes["quoted_at"].min())),
            "end": str(pd.Timestamp(quotes["quoted_at"].max())),
        },
        rows={"quotes": len(quotes), "train": split, "holdout": len(quotes) - split},
        features=[*NUMERIC, *CATEGORICAL],
        metrics={**metrics, "rate_slope_of_log_odds": price_slopes(pipeline, quotes)},
        params={"lanes": list(pipeline.named_steps["quote"].lanes_), "volume_factor": 167},
        intended_use=(
            "Price guidance for air-cargo quotes: win probability at a rate, displacement cost "
            "of the capacity a booking uses, and recommended / floor / stretch rates per kg."
        ),
        limits=(
            "Price response is one log-linear slope per case (competitor seen or not) for all "
            "customers and lanes; demand still to come is read from departed flights' booking "
            "histories with a Gamma spread; unknown lanes are refused; competitor rates are as "
            "observed by sales."
        ),
    )


def win_probability(trained: registry.TrainedModel, quotes: pd.DataFrame) -> np.ndarray:
    """P(win) of each quote at its own rate_per_kg."""
    return trained.pipeline.predict_proba(quotes)[:, 1]
