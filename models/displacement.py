"""Displacement (bid price) per kg on a flight, from lane booking curves and capacity left."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from models.errors import CapacityError, InvalidInputError, ModelError, UnknownLaneError
from models.frames import require_columns
from models.money import decimals, to_float

FACT = "flight.displacement_cost"
VOLUME_FACTOR = 167.0  # kg per cubic metre: the IATA chargeable-weight convention


def chargeable_kg(frame: pd.DataFrame) -> np.ndarray:
    """Chargeable weight: the given column, else max(weight, volume x 167); checked >= 0."""
    weight = frame["weight_kg"].to_numpy(dtype=float)
    volume = frame["volume_m3"].to_numpy(dtype=float)
    if np.any(weight < 0) or np.any(volume < 0) or np.isnan(weight).any():
        raise InvalidInputError("weight_kg and volume_m3 must be present and not negative")
    if "chargeable_kg" in frame.columns:
        given = frame["chargeable_kg"].to_numpy(dtype=float)
        return np.where(np.isnan(given), np.maximum(weight, volume * VOLUME_FACTOR), given)
    return np.maximum(weight, np.nan_to_num(volume) * VOLUME_FACTOR)


class BookingCurve(BaseEstimator):
    """Demand still to come per flight by lane and days out, learned from departed flights.

    For every departed flight, each booking (quoted through us or not) is placed at its lead
    time; the share of capacity still to be booked d days out is regressed, per lane and d, on
    the share already booked then. The demand still to come for a flight is that expectation
    plus one of the departed flights' own surprises (residuals), smoothed by a narrow normal
    kernel: so its spread is what really happened to past flights' final loads, not an
    assumed curve. A flight counts as sold out from `full_at` of its capacity: the last
    shipments rarely fit to the kilo, and departed flights' loads stop there (demand beyond
    capacity is never seen).
    """

    def __init__(
        self,
        horizon_days: int = 45,
        min_flights: int = 8,
        bandwidth: float = 0.02,
        full_at: float = 0.97,
    ):
        self.horizon_days = horizon_days
        self.min_flights = min_flights
        self.bandwidth = bandwidth
        self.full_at = full_at

    def fit(self, X: pd.DataFrame, y: Any = None, *, flights: pd.DataFrame) -> BookingCurve:
        """Learn from bookings X (flight, booked_at, weight, volume, rate) on departed flights."""
        require_columns(
            X, ["flight_id", "booked_at", "weight_kg", "volume_m3", "rate_per_kg"], "bookings"
        )
        require_columns(flights, ["flight_id", "lane", "departure", "capacity_kg"], "flights")
        as_of = pd.to_datetime(X["booked_at"]).max()
        gone = flights[pd.to_datetime(flights["departure"]) < as_of]
        rows = X.merge(gone[["flight_id", "lane", "departure", "capacity_kg"]], on="flight_id")
        lanes = sorted(set(rows["lane"].astype(str)))
        if not lanes:
            raise ModelError("no bookings on departed flights to learn booking curves from")
        self.lanes_ = np.array(lanes)
        lead = (pd.to_datetime(rows["departure"]) - pd.to_datetime(rows["booked_at"])).dt
        rows = rows.assign(
            lead=np.clip(lead.total_seconds().to_numpy() / 86400, 0, None),
            share=chargeable_kg(rows) / rows["capacity_kg"].to_numpy(dtype=float),
        )
        fitted = [self._lane(rows[rows["lane"].astype(str) == lane]) for lane in lanes]
        self.intercepts_ = np.array([f[0] for f in fitted])
        self.slopes_ = np.array([f[1] for f in fitted])
        width = max(f[2].shape[1] for f in fitted)
        self.residuals_ = np.stack([_pad(f[2], width) for f in fitted])  # lane, day, flight
        self.rates_ = np.array([_mean_rate(rows, lane) for lane in lanes])
        return self

    def _lane(self, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per days-out d: to-come = a + b x booked (shares of capacity), and the residuals."""
        days = np.arange(self.horizon_days + 1)
        flight = rows["flight_id"].to_numpy()
        ids, at = np.unique(flight, return_inverse=True)
        lead, share = rows["lead"].to_numpy(), rows["share"].to_numpy()
        # booked[f, d]: share of flight f's capacity booked at least d days before departure
        booked = np.stack([np.bincount(at, share * (lead >= d), len(ids)) for d in days], axis=1)
        final = np.bincount(at, share, len(ids))
        to_come = final[:, None] - booked
        fits = [_regress(booked[:, d], to_come[:, d], self.min_flights) for d in days]
        a = np.array([f[0] for f in fits])
        b = np.array([f[1] for f in fits])
        return a, b, (to_come - a - b * booked).T

    def predict_frame(self, flights: pd.DataFrame, as_of: Any) -> pd.DataFrame:
        """Remaining capacity, expected demand still to come, P(demand > capacity), bid price."""
        check_is_fitted(self)
        lane = _flight_lane_index(self.lanes_, flights["lane"])
        remaining = remaining_capacity_kg(flights)
        capacity = flights["capacity_kg"].to_numpy(dtype=float)
        days_out = (pd.to_datetime(flights["departure"]) - pd.Timestamp(as_of)).dt.total_seconds()
        days = np.clip(days_out.to_numpy() / 86400, 0, self.horizon_days)
        booked = (capacity - remaining) / capacity
        mean, surprises = self._to_come(lane, days, booked)
        open_ = days_out.to_numpy() > 0
        mean = np.where(open_, mean, 0.0)
        p_exceed = self._p_exceed(mean, surprises, remaining / capacity)
        full = remaining <= (1 - self.full_at) * capacity
        p_exceed = np.where(full, 1.0, np.where(open_, p_exceed, 0.0))
        return pd.DataFrame(
            {
                "remaining_kg": remaining,
                "expected_demand_kg": mean * capacity,
                "p_demand_exceeds": p_exceed,
                "displacement_per_kg": p_exceed * self.rates_[lane],
            },
            index=flights.index,
        )

    def _to_come(
        self, lane: np.ndarray, days: np.ndarray, booked: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Expected share of capacity still to book, and past surprises, between whole days."""
        low = np.floor(days).astype(int)
        high = np.minimum(low + 1, self.horizon_days)
        w = days - low

        def at(table: np.ndarray) -> np.ndarray:
            return table[lane, low] * (1 - w) + table[lane, high] * w

        mean = np.clip(at(self.intercepts_) + at(self.slopes_) * booked, 0.0, None)
        surprises = self.residuals_[lane, low] * (1 - w)[:, None]
        surprises = surprises + self.residuals_[lane, high] * w[:, None]
        return mean, surprises

    def _p_exceed(self, mean: np.ndarray, surprises: np.ndarray, room: np.ndarray) -> np.ndarray:
        """P(the demand still to come sells the flight out), room left a share of capacity."""
        short = room - (1 - self.full_at)
        gap = (mean[:, None] + surprises - short[:, None]) / self.bandwidth
        return np.nanmean(special.ndtr(gap), axis=1)


def _regress(x: np.ndarray, y: np.ndarray, min_rows: int) -> tuple[float, float]:
    """Least squares y = a + b x, b >= -1 (the mean alone for few rows).

    b may be negative: a flight booked early is often one whose shippers booked early, not
    one with more demand in all; b >= -1 keeps the final load rising with what is booked.
    """
    if len(x) < min_rows or np.var(x) <= 0:
        return float(y.mean()) if len(y) else 0.0, 0.0
    b = max(float(np.cov(x, y, bias=True)[0, 1] / np.var(x)), -1.0)
    return float(y.mean() - b * x.mean()), b


def _pad(table: np.ndarray, width: int) -> np.ndarray:
    out = np.full((table.shape[0], width), np.nan)
    out[:, : table.shape[1]] = table
    return out


def _mean_rate(rows: pd.DataFrame, lane: str) -> float:
    """The lane's average booked rate per chargeable kg: what displaced demand pays."""
    lane_rows = rows[rows["lane"].astype(str) == lane]
    rate = to_float(lane_rows["rate_per_kg"], "rate_per_kg")
    return float(np.average(rate, weights=np.maximum(chargeable_kg(lane_rows), 1e-9)))


def _flight_lane_index(lanes: np.ndarray, flight_lanes: pd.Series) -> np.ndarray:
    idx = pd.Index(lanes).get_indexer(flight_lanes.astype(str))
    if (idx < 0).any():
        unknown = sorted(set(flight_lanes.astype(str)[idx < 0]))
        raise UnknownLaneError(
            f"no booking curve for lane(s) {', '.join(unknown)}; known lanes: {', '.join(lanes)}"
        )
    return idx


def remaining_capacity_kg(flights: pd.DataFrame) -> np.ndarray:
    """Capacity left in chargeable kg (the tighter of weight and volume); zero capacity refused."""
    require_columns(
        flights, ["flight_id", "capacity_kg", "booked_kg", "capacity_m3", "booked_m3"], "flights"
    )
    capacity = flights["capacity_kg"].to_numpy(dtype=float)
    volume = flights["capacity_m3"].to_numpy(dtype=float)
    bad = ~(capacity > 0) | ~(volume > 0)
    if bad.any():
        names = ", ".join(map(str, flights["flight_id"][bad].head(5)))
        raise CapacityError(
            f"flight(s) {names} have no capacity (capacity_kg and capacity_m3 must be > 0)"
        )
    by_weight = capacity - flights["booked_kg"].to_numpy(dtype=float)
    by_volume = (volume - flights["booked_m3"].to_numpy(dtype=float)) * VOLUME_FACTOR
    return np.maximum(np.minimum(by_weight, by_volume), 0.0)


def score(trained: Any, flights: pd.DataFrame, *, as_of: Any) -> pd.DataFrame:
    """Facts per flight: flight.displacement_cost (Decimal per kg), plus the numbers behind it."""
    require_columns(flights, ["flight_id", "lane", "departure"], "flights")
    curve: BookingCurve = trained.extras["booking_curve"]
    frame = curve.predict_frame(flights.reset_index(drop=True), as_of)
    frame.index = pd.Index(flights["flight_id"].to_numpy(), name="flight_id")
    frame.insert(0, FACT, decimals(frame.pop("displacement_per_kg").to_numpy()))
    frame["model_version"] = trained.version
    return frame
