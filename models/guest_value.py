"""Guest value: BG/NBD repeat-trip model with a log-normal spend model, fitted with scipy.

Why BG/NBD: a casino guest never tells us they have left, so "churn" is latent; BG/NBD
(Fader, Hardie & Lee 2005) models trip rate and silent drop-out per guest from recency,
frequency and tenure alone, works with one or two trips per guest, gives the probability
of a return within any horizon in closed form, and can be checked on CDNOW like the paper.
Why log-normal spend and not Gamma-Gamma: casino trip values are so heavy-tailed that
Gamma-Gamma often fits q <= 1 (no finite mean); a normal-normal model on log trip value
shrinks each guest's typical trip toward the population and stays finite.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from models import registry
from models.errors import InsufficientDataError, ModelError
from models.frames import as_dates, as_timestamp, require_columns, require_rows, visit_days
from models.metrics import classifier_metrics, value_metrics
from models.money import decimals

NAME = "guest_value"
HORIZON_DAYS = 90
TREND_RECENT_DAYS = 90
TREND_BASE_DAYS = 365
MIN_GUESTS = 100
MIN_REPEAT_GUESTS = 20
SUMMARY_COLUMNS = ["x", "t_x", "T", "n", "log_mean", "log_ss"]
MIN_TRIP_VALUE = 1.0  # dollars; a trip worth less is logged as worth this
FACTS = ("guest.value_90d", "guest.return_prob_90d", "guest.adt_trend")
Progress = Callable[[str], None] | None


def summarise(
    visits: pd.DataFrame,
    as_of: Any,
    *,
    trip_join_days: int = 1,
) -> pd.DataFrame:
    """Per-guest trips, recency, tenure and value from visits on or before AS_OF (days)."""
    require_columns(visits, ["guest_id", "visit_date", "theo_win", "spend"], "visits")
    as_of = as_timestamp(as_of, "as_of").normalize()
    days = visit_days(visits)
    days = days[days["visit_date"] <= as_of]
    if days.empty:
        return pd.DataFrame(
            columns=[*SUMMARY_COLUMNS, "total"], index=pd.Index([], name="guest_id")
        )
    trips = _trips(days, trip_join_days)
    grouped = trips.groupby("guest_id", sort=True)
    first = grouped["start"].min()
    summary = pd.DataFrame(
        {
            "n": grouped.size(),
            "t_x": (grouped["start"].max() - first).dt.days.astype(float),
            "T": (as_of - first).dt.days.astype(float),
            "total": grouped["value"].sum(),
        }
    )
    summary["x"] = summary["n"] - 1
    summary["m"] = summary["total"] / summary["n"]
    log_value = np.log(np.maximum(trips["value"], MIN_TRIP_VALUE))
    summary["log_mean"] = log_value.groupby(trips["guest_id"]).mean()
    deviation = log_value - summary["log_mean"].reindex(trips["guest_id"]).to_numpy()
    summary["log_ss"] = (deviation**2).groupby(trips["guest_id"]).sum()
    return summary


def _trips(days: pd.DataFrame, trip_join_days: int) -> pd.DataFrame:
    """Join visit days at most TRIP_JOIN_DAYS apart into trips (a stay is one repeat visit)."""
    gap = days.groupby("guest_id")["visit_date"].diff().dt.days
    new_trip = gap.isna() | (gap > trip_join_days)
    trip_no = new_trip.cumsum()
    return (
        days.assign(trip=trip_no.to_numpy(), value=days["theo"] + days["spend"])
        .groupby("trip", sort=False)
        .agg(guest_id=("guest_id", "first"), start=("visit_date", "min"), value=("value", "sum"))
    )


def adt_trend(visits: pd.DataFrame, as_of: Any) -> pd.Series:
    """Recent average daily theoretical over the guest's own prior baseline, minus one.

    Recent is the last 90 days up to AS_OF, baseline the 365 days before that; NaN when
    either window has no visit day (no trend to speak of: the return probability covers it).
    """
    require_columns(visits, ["guest_id", "visit_date", "theo_win", "spend"], "visits")
    as_of = as_timestamp(as_of, "as_of").normalize()
    days = visit_days(visits)
    age = (as_of - days["visit_date"]).dt.days
    recent = days[(age >= 0) & (age < TREND_RECENT_DAYS)].groupby("guest_id")["theo"].mean()
    base_window = (age >= TREND_RECENT_DAYS) & (age < TREND_RECENT_DAYS + TREND_BASE_DAYS)
    base = days[base_window].groupby("guest_id")["theo"].mean()
    guests = pd.Index(days["guest_id"].unique(), name="guest_id").sort_values()
    ratio = recent.reindex(guests) / base.reindex(guests).where(lambda b: b > 0)
    return (ratio - 1.0).rename("guest.adt_trend")


class RFMFeatures(TransformerMixin, BaseEstimator):
    """Select and check the summary columns (x, t_x, T, n, m) in model time units."""

    def __init__(self, time_unit_days: float = 7.0):
        self.time_unit_days = time_unit_days

    def fit(self, X: pd.DataFrame, y: Any = None) -> RFMFeatures:
        """Nothing to learn; checks the columns."""
        self._check(X)
        self.n_features_in_ = len(SUMMARY_COLUMNS)
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Columns x, t_x, T (in time units), n, m as a float array."""
        self._check(X)
        out = X[SUMMARY_COLUMNS].to_numpy(dtype=float).copy()
        out[:, 1:3] /= self.time_unit_days
        return out

    def _check(self, X: pd.DataFrame) -> None:
        require_columns(X, SUMMARY_COLUMNS, "guest summary")


class BetaGeoLogNormal(RegressorMixin, BaseEstimator):
    """BG/NBD for trips and log-normal value per trip; predict() is value over the horizon."""

    def __init__(self, horizon: float = HORIZON_DAYS / 7, penalizer: float = 0.0):
        self.horizon = horizon
        self.penalizer = penalizer

    def fit(self, X: np.ndarray, y: Any = None) -> BetaGeoLogNormal:
        """Maximum-likelihood BG/NBD on (x, t_x, T); normal-normal on log trip values."""
        X = np.asarray(X, dtype=float)
        self.bgnbd_params_ = _fit_bgnbd(X[:, 0], X[:, 1], X[:, 2], self.penalizer)
        self.spend_params_ = _fit_log_normal(X[:, 3], X[:, 4], X[:, 5])
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Expected value over the horizon: expected trips times expected value per trip."""
        return self.expected_trips(X, self.horizon) * self.expected_trip_value(X)

    def expected_trips(self, X: np.ndarray, t: float) -> np.ndarray:
        """Expected number of trips in the next T time units (FHL 2005, eq. 10)."""
        check_is_fitted(self)
        x, t_x, T = _xtT(X)
        r, alpha, a, b = self.bgnbd_params_
        z = t / (alpha + T + t)
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        head = (a + b + x - 1) / (a - 1) if a != 1 else np.full_like(x, np.nan)
        body = head * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
        return body / self._odds_dead_plus_one(x, t_x, T)

    def p_alive(self, X: np.ndarray) -> np.ndarray:
        """Probability the guest has not silently dropped out."""
        check_is_fitted(self)
        return 1.0 / self._odds_dead_plus_one(*_xtT(X))

    def return_probability(self, X: np.ndarray, t: float) -> np.ndarray:
        """Probability of at least one trip in the next T time units.

        Under BG/NBD drop-out happens only right after a trip, so an alive guest stays
        alive until the next trip: P = P(alive) * (1 - E[exp(-lambda t) | alive, data]).
        """
        x, _, T = _xtT(X)
        r, alpha, _, _ = self.bgnbd_params_
        no_trip = ((alpha + T) / (alpha + T + t)) ** (r + x)
        return self.p_alive(X) * (1.0 - no_trip)

    def expected_trip_value(self, X: np.ndarray) -> np.ndarray:
        """Posterior mean value of the next trip: the guest's log mean shrunk to the population."""
        check_is_fitted(self)
        X = np.asarray(X, dtype=float)
        n, log_mean = X[:, 3], X[:, 4]
        mu, tau2, sigma2 = self.spend_params_
        post_var = 1.0 / (1.0 / tau2 + n / sigma2)
        post_mean = post_var * (mu / tau2 + n * log_mean / sigma2)
        return np.exp(post_mean + (post_var + sigma2) / 2)

    def _odds_dead_plus_one(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        r, alpha, a, b = self.bgnbd_params_
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
            odds = np.where(x > 0, a / np.maximum(b + x - 1, 1e-12) * np.exp(log_ratio), 0.0)
        return 1.0 + odds


def _xtT(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=float)
    return X[:, 0], X[:, 1], X[:, 2]


def bgnbd_log_likelihood(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> float:
    """Total BG/NBD log-likelihood (FHL 2005, eq. 6) of (r, alpha, a, b)."""
    r, alpha, a, b = params
    common = (
        special.gammaln(r + x)
        - special.gammaln(r)
        + r * np.log(alpha)
        + special.gammaln(a + b)
        + special.gammaln(b + x)
        - special.gammaln(b)
        - special.gammaln(a + b + x)
    )
    stay = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        drop = np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x)
    tail = np.where(x > 0, np.logaddexp(stay, np.where(x > 0, drop, -np.inf)), stay)
    return float(np.sum(common + tail))


def _fit_bgnbd(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, penalizer: float) -> np.ndarray:
    def loss(log_params: np.ndarray) -> float:
        params = np.exp(log_params)
        return -bgnbd_log_likelihood(params, x, t_x, T) / len(x) + penalizer * np.sum(params**2)

    start = np.log([0.5, max(float(np.mean(T)), 1.0), 1.0, 2.0])
    return _minimise(loss, start, "BG/NBD")


def _fit_log_normal(n: np.ndarray, log_mean: np.ndarray, log_ss: np.ndarray) -> np.ndarray:
    """Pooled within-guest variance, then (mu, tau2) by maximum likelihood of the guest means."""
    repeat = n > 1
    sigma2 = float(log_ss[repeat].sum() / max((n[repeat] - 1).sum(), 1)) if repeat.any() else 1.0
    sigma2 = max(sigma2, 1e-4)

    def loss(log_tau2: float) -> float:
        var = np.exp(log_tau2) + sigma2 / n
        mu = np.sum(log_mean / var) / np.sum(1 / var)
        return float(np.sum(np.log(var) + (log_mean - mu) ** 2 / var))

    found = optimize.minimize_scalar(loss, bounds=(-12.0, 6.0), method="bounded")
    tau2 = float(np.exp(found.x))
    var = tau2 + sigma2 / n
    mu = float(np.sum(log_mean / var) / np.sum(1 / var))
    return np.array([mu, tau2, sigma2])


def _minimise(loss: Callable[[np.ndarray], float], start: np.ndarray, what: str) -> np.ndarray:
    with np.errstate(all="ignore"):
        result = optimize.minimize(loss, start, method="Nelder-Mead", options={"maxiter": 4000})
    if not np.isfinite(result.fun):
        raise ModelError(f"{what} fit did not converge: {result.message}")
    return np.exp(result.x)


def build_pipeline(time_unit_days: float = 7.0) -> Pipeline:
    """Summary columns -> BG/NBD + log-normal spend, horizon 90 days."""
    return Pipeline(
        [
            ("rfm", RFMFeatures(time_unit_days=time_unit_days)),
            ("model", BetaGeoLogNormal(horizon=HORIZON_DAYS / time_unit_days)),
        ]
    )


def predict_frame(pipeline: Pipeline, summary: pd.DataFrame, horizon_days: float) -> pd.DataFrame:
    """Expected trips, return probability and value over HORIZON_DAYS for each summary row."""
    X = pipeline[:-1].transform(summary)
    model: BetaGeoLogNormal = pipeline[-1]
    t = horizon_days / pipeline.named_steps["rfm"].time_unit_days
    trips = model.expected_trips(X, t)
    return pd.DataFrame(
        {
            "expected_trips": trips,
            "return_prob": model.return_probability(X, t),
            "value": trips * model.expected_trip_value(X),
        },
        index=summary.index,
    )


def holdout_report(
    visits: pd.DataFrame,
    cutoff: Any,
    end: Any,
    *,
    trip_join_days: int = 1,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Fit on visits up to CUTOFF, compare with what happened in (CUTOFF, END]."""
    cutoff = as_timestamp(cutoff, "cutoff").normalize()
    end = as_timestamp(end, "end").normalize()
    calib = summarise(visits, cutoff, trip_join_days=trip_join_days)
    _require_enough(calib)
    pipeline = build_pipeline().fit(calib)
    horizon = float((end - cutoff).days)
    frame = predict_frame(pipeline, calib, horizon).join(
        _actuals(visits, cutoff, end, trip_join_days).reindex(calib.index, fill_value=0)
    )
    frame["x"] = calib["x"]
    frame["baseline_value"], frame["baseline_return"] = _baseline(calib, horizon)
    return _metrics(frame, pipeline), frame


def _actuals(
    visits: pd.DataFrame, cutoff: pd.Timestamp, end: pd.Timestamp, join: int
) -> pd.DataFrame:
    """Trips, value and whether the guest came back in (CUTOFF, END]."""
    days = visit_days(visits)
    days = days[(days["visit_date"] > cutoff) & (days["visit_date"] <= end)]
    trips = _trips(days, join) if len(days) else pd.DataFrame(columns=["guest_id", "value"])
    grouped = trips.groupby("guest_id")
    actual = pd.DataFrame({"actual_trips": grouped.size(), "actual_value": grouped["value"].sum()})
    actual["returned"] = (actual["actual_trips"] > 0).astype(int)
    return actual


def _baseline(calib: pd.DataFrame, horizon: float) -> tuple[np.ndarray, np.ndarray]:
    """Historic per-day rates carried forward, with no drop-out: the naive forecast."""
    exposure = np.maximum(calib["T"].to_numpy(), horizon)
    value = calib["total"].to_numpy() / exposure * horizon
    returns = 1.0 - np.exp(-calib["n"].to_numpy() / exposure * horizon)
    return value, returns


def _metrics(frame: pd.DataFrame, pipeline: Pipeline) -> dict[str, Any]:
    r, alpha, a, b = pipeline[-1].bgnbd_params_
    mu, tau2, sigma2 = pipeline[-1].spend_params_
    return {
        "value": value_metrics(frame["actual_value"], frame["value"]),
        "value_baseline": value_metrics(frame["actual_value"], frame["baseline_value"]),
        "trips_total": {
            "predicted": float(frame["expected_trips"].sum()),
            "actual": float(frame["actual_trips"].sum()),
        },
        "trips_by_frequency": frequency_table(frame),
        "return_prob": classifier_metrics(frame["returned"], frame["return_prob"]),
        "return_prob_baseline": classifier_metrics(frame["returned"], frame["baseline_return"]),
        "fitted": {
            "r": r,
            "alpha": alpha,
            "a": a,
            "b": b,
            "mu": mu,
            "tau2": tau2,
            "sigma2": sigma2,
        },
    }


def frequency_table(frame: pd.DataFrame, top: int = 7) -> list[dict[str, Any]]:
    """Predicted vs actual holdout trips by number of calibration repeat trips (top+ pooled)."""
    group = frame["x"].clip(upper=top).astype(int)
    table = frame.groupby(group).agg(
        guests=("x", "size"), predicted=("expected_trips", "sum"), actual=("actual_trips", "sum")
    )
    return [
        {
            "repeat_trips": f"{x}+" if x == top else str(x),
            "guests": int(row.guests),
            "predicted": round(float(row.predicted), 1),
            "actual": int(row.actual),
        }
        for x, row in table.iterrows()
    ]


def _require_enough(summary: pd.DataFrame) -> None:
    require_rows(len(summary), MIN_GUESTS, "guests with visits")
    require_rows(int((summary["x"] > 0).sum()), MIN_REPEAT_GUESTS, "guests with a repeat trip")


def train(
    visits: pd.DataFrame,
    guests: pd.DataFrame | None = None,
    *,
    as_of: Any = None,
    trip_join_days: int = 1,
    progress: Progress = None,
) -> registry.TrainedModel:
    """Validate on the last 90 days, then refit on all visits up to AS_OF; return model + card."""
    say = progress or (lambda _msg: None)
    require_columns(visits, ["guest_id", "visit_date", "theo_win", "spend"], "visits")
    if visits.empty:
        raise InsufficientDataError("too little data to train: no visits")
    dates = as_dates(visits["visit_date"], "visit_date")
    as_of = as_timestamp(as_of, "as_of").normalize() if as_of is not None else dates.max()
    cutoff = as_of - pd.Timedelta(days=HORIZON_DAYS)
    say(f"{NAME}: holdout validation, calibration to {cutoff.date()}, holdout to {as_of.date()}")
    metrics, _ = holdout_report(visits, cutoff, as_of, trip_join_days=trip_join_days)
    say(f"{NAME}: refitting on all visits to {as_of.date()}")
    summary = summarise(visits, as_of, trip_join_days=trip_join_days)
    _require_enough(summary)
    pipeline = build_pipeline().fit(summary)
    card = _card(visits, dates, as_of, summary, metrics, trip_join_days)
    say(f"{NAME}: trained {card.version}")
    return registry.TrainedModel(card=card, pipeline=pipeline)


def _card(
    visits: pd.DataFrame,
    dates: pd.Series,
    as_of: pd.Timestamp,
    summary: pd.DataFrame,
    metrics: dict[str, Any],
    trip_join_days: int,
) -> registry.ModelCard:
    trained_at = registry.utc_now()
    fingerprint = registry.data_fingerprint(visits[["guest_id", "visit_date", "theo_win", "spend"]])
    return registry.ModelCard(
        name=NAME,
        version=registry.make_version(NAME, trained_at, fingerprint),
        trained_at=trained_at.isoformat(),
        data_window={"start": str(dates.min().date()), "end": str(as_of.date())},
        rows={"visits": len(visits), "guests": len(summary), "holdout_days": HORIZON_DAYS},
        features=[
            "repeat trips (x)",
            "recency t_x",
            "tenure T",
            "trips n",
            "log trip value mean/spread",
        ],
        metrics=metrics,
        params={
            "horizon_days": HORIZON_DAYS,
            "trip_join_days": trip_join_days,
            "time_unit_days": 7,
        },
        intended_use=(
            "Rank and size guests by expected theo+spend over the next 90 days and flag churn "
            "risk (probability of a return trip within 90 days) for hosts."
        ),
        limits=(
            "Assumes stationary trip rates (no seasonality or marketing effects), silent "
            "drop-out only right after a trip, log-normal trip values independent of trip "
            "frequency; one-trip guests get a value shrunk hard toward the population. "
            "Not for credit or comp limits."
        ),
    )


def score(
    trained: registry.TrainedModel,
    visits: pd.DataFrame,
    *,
    as_of: Any = None,
) -> pd.DataFrame:
    """Facts per guest: guest.value_90d (Decimal), guest.return_prob_90d, guest.adt_trend."""
    require_columns(visits, ["guest_id", "visit_date", "theo_win", "spend"], "visits")
    if as_of is None:
        as_of = as_dates(visits["visit_date"], "visit_date").max()
    join = int(trained.card.params.get("trip_join_days", 1))
    summary = summarise(visits, as_of, trip_join_days=join)
    predicted = predict_frame(trained.pipeline, summary, HORIZON_DAYS)
    trend = adt_trend(visits, as_of).reindex(summary.index)
    out = pd.DataFrame(index=summary.index)
    out["guest.value_90d"] = pd.Series(
        decimals(predicted["value"].to_numpy()), index=out.index, dtype=object
    )
    out["guest.return_prob_90d"] = predicted["return_prob"].round(4)
    out["guest.adt_trend"] = trend.round(4)
    out["model_version"] = trained.version
    return out
