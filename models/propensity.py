"""Offer propensity: calibrated P(accept) per offer type from visit history as of the offer date."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from models import registry
from models.errors import InvalidInputError
from models.frames import as_dates, as_timestamp, require_columns, require_rows, visit_days
from models.metrics import classifier_metrics

NAME = "propensity"
OFFER_TYPES = ("dining", "show", "free_play", "room_upgrade", "spa")
FACTS = tuple(f"guest.propensity.{t}" for t in OFFER_TYPES)
CATEGORICAL = ["offer_type", "tier"]
NUMERIC = [
    "days_since_visit",
    "tenure_days",
    "visit_days_90",
    "visit_days_365",
    "adt_365",
    "spend_per_day_365",
    "prior_offers_type",
    "prior_accept_rate_type",
    "prior_offers_all",
    "prior_accept_rate_all",
    "likes_offer",
    "cuisines",
    "interests",
]
#: The guest-profile interests that speak for each offer type (dining: see `cuisines`).
OFFER_INTERESTS = {
    "dining": (),
    "show": ("shows", "boxing"),
    "free_play": ("slots", "roulette"),
    "room_upgrade": (),
    "spa": ("spa",),
}
HOLDOUT_SHARE = 0.2
MIN_TRAIN_OFFERS = 300
MIN_CLASS = 30
DAY_KEY = 100_000  # days since 1970 stay below this until the year 2243
Progress = Callable[[str], None] | None


def offer_features(
    offers: pd.DataFrame,
    visits: pd.DataFrame,
    guests: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One feature row per offer, using only visits and offers dated before `offered_on`."""
    require_columns(offers, ["guest_id", "offered_on", "offer_type"], "offers")
    _check_types(offers["offer_type"])
    history = offers if history is None else history
    require_columns(history, ["guest_id", "offered_on", "offer_type", "accepted"], "offers")
    codes = _guest_codes(offers, visits, history)
    day = _day_numbers(offers["offered_on"], "offered_on")
    guest = codes.get_indexer(offers["guest_id"].astype(str))
    out = pd.DataFrame(index=offers.index)
    out["offer_type"] = offers["offer_type"].astype(str).to_numpy()
    out["tier"] = _tiers(offers, guests)
    _add_tastes(out, offers, guests)
    _add_visit_features(out, visit_days(visits), codes, guest, day)
    _add_offer_history(out, history, codes, guest, day, offers["offer_type"])
    return out


def _check_types(types: pd.Series) -> None:
    unknown = sorted(set(types.astype(str)) - set(OFFER_TYPES))
    if unknown:
        raise InvalidInputError(f"unknown offer type(s) {unknown}; known: {list(OFFER_TYPES)}")


def _guest_codes(*frames: pd.DataFrame) -> pd.Index:
    ids = pd.concat([f["guest_id"].astype(str) for f in frames], ignore_index=True)
    return pd.Index(ids.unique())


def _day_numbers(values: pd.Series, name: str) -> np.ndarray:
    return (
        (as_dates(values, name).to_numpy() - np.datetime64("1970-01-01", "D"))
        .astype("timedelta64[D]")
        .astype(np.int64)
    )


def _tiers(offers: pd.DataFrame, guests: pd.DataFrame | None) -> np.ndarray:
    if guests is None or "tier" not in guests.columns:
        return np.full(len(offers), "unknown", dtype=object)
    tiers = guests.assign(guest_id=guests["guest_id"].astype(str)).set_index("guest_id")["tier"]
    found = offers["guest_id"].astype(str).map(tiers)
    return found.fillna("unknown").astype(str).to_numpy()


def _add_tastes(out: pd.DataFrame, offers: pd.DataFrame, guests: pd.DataFrame | None) -> None:
    """The guest's stated tastes: interests that match the offer, how many cuisines, interests."""
    profile = _profile(guests)
    found = profile.reindex(offers["guest_id"].astype(str))
    found = found.map(lambda v: v if isinstance(v, tuple) else ())
    interests = found["interests"].to_numpy()
    out["likes_offer"] = [
        float(bool(set(OFFER_INTERESTS[kind]) & set(mine)))
        for kind, mine in zip(offers["offer_type"].astype(str), interests, strict=True)
    ]
    out["cuisines"] = [float(len(c)) for c in found["cuisines"].to_numpy()]
    out["interests"] = [float(len(i)) for i in interests]


def _profile(guests: pd.DataFrame | None) -> pd.DataFrame:
    """guest_id -> interests and cuisines as tuples (empty when the guests frame lacks them)."""
    if guests is None:
        return pd.DataFrame(columns=["interests", "cuisines"])
    frame = pd.DataFrame(index=pd.Index(guests["guest_id"].astype(str)))
    for column in ("interests", "cuisines"):
        values = guests[column] if column in guests.columns else [()] * len(guests)
        frame[column] = [tuple(v) if isinstance(v, list | tuple) else () for v in values]
    return frame[~frame.index.duplicated()]


def _add_visit_features(
    out: pd.DataFrame, days: pd.DataFrame, codes: pd.Index, guest: np.ndarray, day: np.ndarray
) -> None:
    """Window sums over each guest's sorted visit days via cumulative sums and binary search."""
    key = codes.get_indexer(days["guest_id"]) * DAY_KEY + _day_numbers(days["visit_date"], "d")
    order = np.argsort(key, kind="stable")
    key = key[order]
    theo = np.concatenate([[0.0], np.cumsum(days["theo"].to_numpy()[order])])
    spend = np.concatenate([[0.0], np.cumsum(days["spend"].to_numpy()[order])])
    base = guest * DAY_KEY
    hi = np.searchsorted(key, base + day, "left")
    first = np.searchsorted(key, base, "left")
    lo90 = np.searchsorted(key, base + day - 90, "left")
    lo365 = np.searchsorted(key, base + day - 365, "left")
    seen = hi > first
    last_day = np.where(seen, key[np.maximum(hi - 1, 0)] - base, 0)
    first_day = np.where(seen, key[np.minimum(first, len(key) - 1)] - base, 0)
    n365 = hi - lo365
    out["days_since_visit"] = np.where(seen, day - last_day, np.nan)
    out["tenure_days"] = np.where(seen, day - first_day, np.nan)
    out["visit_days_90"] = hi - lo90
    out["visit_days_365"] = n365
    with np.errstate(invalid="ignore", divide="ignore"):
        out["adt_365"] = np.where(n365 > 0, (theo[hi] - theo[lo365]) / n365, np.nan)
        out["spend_per_day_365"] = np.where(n365 > 0, (spend[hi] - spend[lo365]) / n365, np.nan)


def _add_offer_history(
    out: pd.DataFrame,
    history: pd.DataFrame,
    codes: pd.Index,
    guest: np.ndarray,
    day: np.ndarray,
    offer_type: pd.Series,
) -> None:
    """Earlier offers and acceptances of the same type and of any type (same day excluded)."""
    h_guest = codes.get_indexer(history["guest_id"].astype(str))
    h_day = _day_numbers(history["offered_on"], "offered_on")
    h_type = pd.Categorical(history["offer_type"].astype(str), categories=OFFER_TYPES).codes
    accepted = history["accepted"].astype(bool).to_numpy()
    o_type = pd.Categorical(offer_type.astype(str), categories=OFFER_TYPES).codes
    for suffix, h_group, o_group in (
        ("type", h_guest * 8 + h_type, guest * 8 + o_type),
        ("all", h_guest, guest),
    ):
        count, rate = _prior_counts(h_group * DAY_KEY + h_day, accepted, o_group * DAY_KEY, day)
        out[f"prior_offers_{suffix}"] = count
        out[f"prior_accept_rate_{suffix}"] = rate


def _prior_counts(
    h_key: np.ndarray, accepted: np.ndarray, group_base: np.ndarray, day: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(h_key, kind="stable")
    key = h_key[order]
    cum = np.concatenate([[0], np.cumsum(accepted[order])])
    lo = np.searchsorted(key, group_base, "left")
    hi = np.searchsorted(key, group_base + day, "left")
    count = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(count > 0, (cum[hi] - cum[lo]) / np.maximum(count, 1), np.nan)
    return count, rate


def build_pipeline(calibration: str = "isotonic", random_state: int = 0) -> Pipeline:
    """One-hot offer type and tier -> gradient boosting, calibrated by cross-validation."""
    encode = ColumnTransformer(
        [
            (
                "categories",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                CATEGORICAL,
            ),
            ("numbers", "passthrough", NUMERIC),
        ]
    )
    boosted = HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=150,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=random_state,
    )
    # Boosted trees rank well but their scores are not probabilities: calibrate on held-out folds.
    calibrated = CalibratedClassifierCV(boosted, method=calibration, cv=3)
    return Pipeline([("encode", encode), ("model", calibrated)])


def train(
    offers: pd.DataFrame,
    visits: pd.DataFrame,
    guests: pd.DataFrame | None = None,
    *,
    progress: Progress = None,
) -> registry.TrainedModel:
    """Validate on the latest 20% of offers in time, then refit on all; return model + card."""
    say = progress or (lambda _msg: None)
    require_columns(offers, ["guest_id", "offered_on", "offer_type", "accepted"], "offers")
    require_rows(len(offers), MIN_TRAIN_OFFERS, "offers")
    say(f"{NAME}: building features for {len(offers)} offers")
    features = offer_features(offers, visits, guests)
    y = offers["accepted"].astype(bool).to_numpy().astype(int)
    dates = as_dates(offers["offered_on"], "offered_on")
    cutoff = dates.quantile(1 - HOLDOUT_SHARE).normalize()
    fit_rows = (dates < cutoff).to_numpy()
    _require_classes(y[fit_rows], "offers before the holdout")
    require_rows(int((~fit_rows).sum()), 100, "holdout offers")
    # One calibration method for the holdout and the deployed refit: the card describes the
    # model that serves (chosen from all rows, which is what the refit sees).
    calibration = _calibration(len(y))
    say(f"{NAME}: holdout validation from {cutoff.date()} ({calibration} calibration)")
    metrics = _holdout(features, y, fit_rows, calibration)
    say(f"{NAME}: refitting on all offers")
    pipeline = build_pipeline(calibration).fit(features, y)
    card = _card(offers, dates, fit_rows, metrics, cutoff, calibration)
    say(f"{NAME}: trained {card.version}")
    return registry.TrainedModel(card=card, pipeline=pipeline)


def _require_classes(y: np.ndarray, what: str) -> None:
    require_rows(int(y.sum()), MIN_CLASS, f"accepted {what}")
    require_rows(int(len(y) - y.sum()), MIN_CLASS, f"declined {what}")


def _calibration(rows: int) -> str:
    # Isotonic needs a few thousand rows per fold to beat Platt scaling without overfitting.
    return "isotonic" if rows >= 3000 else "sigmoid"


def _holdout(
    features: pd.DataFrame, y: np.ndarray, fit_rows: np.ndarray, calibration: str
) -> dict[str, Any]:
    pipeline = build_pipeline(calibration)
    pipeline.fit(features[fit_rows], y[fit_rows])
    test = features[~fit_rows]
    p = pipeline.predict_proba(test)[:, 1]
    rates = pd.Series(y[fit_rows]).groupby(features["offer_type"].to_numpy()[fit_rows]).mean()
    baseline = test["offer_type"].map(rates).fillna(y[fit_rows].mean()).to_numpy()
    by_type = {
        t: {
            "n": int((test["offer_type"] == t).sum()),
            "observed": float(y[~fit_rows][(test["offer_type"] == t).to_numpy()].mean()),
            "predicted": float(p[(test["offer_type"] == t).to_numpy()].mean()),
        }
        for t in OFFER_TYPES
        if (test["offer_type"] == t).any()
    }
    return {
        "calibration_method": calibration,
        "accept": classifier_metrics(y[~fit_rows], p),
        "accept_baseline_type_rate": classifier_metrics(y[~fit_rows], baseline),
        "by_offer_type": by_type,
    }


def _card(
    offers: pd.DataFrame,
    dates: pd.Series,
    fit_rows: np.ndarray,
    metrics: dict[str, Any],
    cutoff: pd.Timestamp,
    calibration: str,
) -> registry.ModelCard:
    trained_at = registry.utc_now()
    columns = ["guest_id", "offered_on", "offer_type", "accepted"]
    return registry.ModelCard(
        name=NAME,
        version=registry.make_version(NAME, trained_at, registry.data_fingerprint(offers[columns])),
        trained_at=trained_at.isoformat(),
        data_window={"start": str(dates.min().date()), "end": str(dates.max().date())},
        rows={
            "offers": len(offers),
            "train": int(fit_rows.sum()),
            "holdout": int((~fit_rows).sum()),
            "holdout_from": str(cutoff.date()),
        },
        features=[*CATEGORICAL, *NUMERIC],
        metrics=metrics,
        params={"calibration": calibration, "offer_types": list(OFFER_TYPES)},
        intended_use=(
            "Choose which offer type a host suggests to a guest, and rank guests for an offer; "
            "probabilities are calibrated, so they can be compared across offer types."
        ),
        limits=(
            "Learns from past offers as they were targeted (selection bias: it says who accepted "
            "what they were offered, not the effect of offering); new offer types need retraining; "
            "guests with no history get tier and offer-type averages."
        ),
    )


def score(
    trained: registry.TrainedModel,
    visits: pd.DataFrame,
    guests: pd.DataFrame | None = None,
    offers: pd.DataFrame | None = None,
    *,
    as_of: Any,
    guest_ids: list[str] | None = None,
) -> pd.DataFrame:
    """Facts per guest: guest.propensity.<type> (float 0..1) for every offer type, as of AS_OF."""
    as_of = as_timestamp(as_of, "as_of").normalize()
    ids = _guest_ids(visits, guests, guest_ids)
    targets = pd.DataFrame(
        {
            "guest_id": np.repeat(ids, len(OFFER_TYPES)),
            "offered_on": as_of,
            "offer_type": np.tile(OFFER_TYPES, len(ids)),
        }
    )
    history = offers if offers is not None else _no_offers()
    history = history[as_dates(history["offered_on"], "offered_on") < as_of]
    features = offer_features(targets, visits, guests, history=history)
    p = trained.pipeline.predict_proba(features)[:, 1].reshape(len(ids), len(OFFER_TYPES))
    out = pd.DataFrame(np.round(p, 4), index=pd.Index(ids, name="guest_id"), columns=list(FACTS))
    out["model_version"] = trained.version
    return out


def _guest_ids(
    visits: pd.DataFrame, guests: pd.DataFrame | None, guest_ids: list[str] | None
) -> np.ndarray:
    if guest_ids is not None:
        return np.asarray([str(g) for g in guest_ids], dtype=object)
    frame = guests if guests is not None else visits
    return np.sort(frame["guest_id"].astype(str).unique()).astype(object)


def _no_offers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "guest_id": pd.Series([], dtype=str),
            "offered_on": pd.Series([], dtype="datetime64[ns]"),
            "offer_type": pd.Series([], dtype=str),
            "accepted": pd.Series([], dtype=bool),
        }
    )
