"""The batch jobs behind `frontline models train|score`; never run inside a web request."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from flask import current_app
from threadpoolctl import threadpool_limits

from models import cargo_pricing, displacement, guest_value, propensity, registry
from models.errors import ModelError

from ..tables import utcnow
from . import frames
from .facts import save_facts
from .store import MODEL_NAMES, load_current, model_store

Progress = Callable[[str], None] | None

# One BLAS/OpenMP thread: on small data the pool's start-up and contention cost more than it
# saves (propensity training ran 10-30x slower with two threads on a busy 2-core machine).
THREADS = 1

#: Per model: (metric group, its baseline group, metrics, whether higher is better).
BASELINES = {
    "guest_value": [
        ("value", "value_baseline", ("mae", "rmse"), False),
        ("return_prob", "return_prob_baseline", ("brier", "log_loss"), False),
        ("return_prob", "return_prob_baseline", ("auc",), True),
    ],
    "propensity": [
        ("accept", "accept_baseline_type_rate", ("brier", "log_loss"), False),
        ("accept", "accept_baseline_type_rate", ("auc",), True),
    ],
    "cargo_pricing": [
        ("win", "win_baseline_lane_rate", ("brier", "log_loss"), False),
        ("win", "win_baseline_lane_rate", ("auc",), True),
    ],
}


def _fit(name: str, progress: Progress) -> registry.TrainedModel:
    if name == "guest_value":
        return guest_value.train(frames.visits(), frames.guests(), progress=progress)
    if name == "propensity":
        visits, guests = frames.visits(), frames.guests()
        return propensity.train(frames.offers(), visits, guests, progress=progress)
    if name == "cargo_pricing":
        quotes, flights, bookings = frames.quotes(), frames.flights(), frames.bookings()
        return cargo_pricing.train(quotes, flights, bookings, progress=progress)
    raise ModelError(f"unknown model {name!r}; known: {', '.join(MODEL_NAMES)}")


def train(name: str, progress: Progress = None) -> registry.TrainedModel:
    """Train NAME on the database and make it current; on any error the old one stays."""
    with threadpool_limits(THREADS):
        trained = _fit(name, progress)
    registry.save(trained, current_app.config["MODEL_DIR"])
    return trained


def usable_version(name: str) -> str | None:
    """The version of the saved model NAME if it loads here, else None."""
    try:
        return load_current(current_app.config["MODEL_DIR"], name).version
    except ModelError:
        return None


def baseline_shortfalls(card: registry.ModelCard) -> list[str]:
    """Holdout metrics on which the model does not beat its naive baseline (empty: all good)."""
    problems = []
    for group, base, metrics, higher in BASELINES.get(card.name, []):
        for metric in metrics:
            ours, theirs = card.metrics[group][metric], card.metrics[base][metric]
            if not (ours > theirs if higher else ours < theirs):
                problems.append(f"{group} {metric} {ours:.4g} vs baseline {theirs:.4g}")
    return problems


@dataclass
class ScoreReport:
    """What one scoring run stored."""

    counts: dict[str, int] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def score_guests(as_of: datetime | None = None, report: ScoreReport | None = None) -> ScoreReport:
    """Refresh guest.value_90d, return probability, ADT trend and offer propensities."""
    report = report or ScoreReport()
    started, day = time.perf_counter(), _day(as_of)
    store = model_store()
    value_model, offer_model = store.get("guest_value"), store.get("propensity")
    visits, guests = frames.visits(), frames.guests()
    report.skipped.update(frames.out_of_range())
    with threadpool_limits(THREADS):
        value = guest_value.score(value_model, visits, as_of=day)
        offers = propensity.score(offer_model, visits, guests, frames.offers(), as_of=day)
    report.counts["guest value facts"] = save_facts("guest", value)
    report.counts["guest propensity facts"] = save_facts("guest", offers)
    report.versions.update(guest_value=value_model.version, propensity=offer_model.version)
    report.seconds += time.perf_counter() - started
    return report


def score_flights(as_of: datetime | None = None, report: ScoreReport | None = None) -> ScoreReport:
    """Refresh flight.displacement_cost for every flight not yet departed."""
    report = report or ScoreReport()
    started, now = time.perf_counter(), as_of or utcnow()
    model = model_store().get("cargo_pricing")
    flights = frames.flights(departing_from=now)
    scorable = _scorable_flights(model, flights)
    report.skipped["flights (unknown lane or no capacity)"] = len(flights) - len(scorable)
    costs = displacement.score(model, scorable, as_of=frames.to_naive_utc(now))
    facts = costs[[displacement.FACT, "model_version"]]
    report.counts["flight facts"] = save_facts("flight", facts)
    report.versions["cargo_pricing"] = model.version
    report.seconds += time.perf_counter() - started
    return report


def _scorable_flights(model: registry.TrainedModel, flights: pd.DataFrame) -> pd.DataFrame:
    """Flights the booking curves can price: a known lane and some capacity (one bad flight
    must not stop the refresh of all the others)."""
    known = flights["lane"].isin(model.extras["booking_curve"].lanes_)
    has_room = (flights["capacity_kg"] > 0) & (flights["capacity_m3"] > 0)
    return flights[known & has_room]


def _day(as_of: datetime | None) -> pd.Timestamp:
    return pd.Timestamp(frames.to_naive_utc(as_of or utcnow())).normalize()
