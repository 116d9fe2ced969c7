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
    """Expected kg still to be booked per flight by lane and days out, and the lane's rate."""

    def __init__(self, horizon_days: int = 60, min_cv: float = 0.15, max_cv: float = 1.0):
        self.horizon_days = horizon_days
        self.min_cv = min_cv
        self.max_cv = max_cv

    def fit(self, X: pd.DataFrame, y: Any = None, *, flights: pd.DataFrame) -> BookingCurve:
        """Learn curves from won quotes whose flights departed inside the observed window."""
        require_columns(
            X, ["quoted_at", "lane", "days_to_departure", "won", "rate_per_kg"], "quotes"
        )
        require_columns(flights, ["lane", "departure"], "flights")
        won = X[X["won"].astype(bool)]
        quoted = pd.to_datetime(X["quoted_at"])
        start = quoted.min() + pd.Timedelta(days=self.horizon_days)
        end = quoted.max()
        departure = (
            pd.to_datetime(won["quoted_at"]) + _days(won["days_to_departure"])
        ).dt.normalize()
        inside = (departure >= start.normalize()) & (departure <= end)
        flight_days = pd.to_datetime(flights["departure"])
        counted = flights[(flight_days >= start.normalize()) & (flight_days <= end)]
        n_flights = counted.groupby(counted["lane"].astype(str)).size()
        lanes = sorted(set(n_flights.index) & set(won["lane"].astype(str)))
        if not lanes:
            raise ModelError("no lane has both won quotes and flights inside the booking window")
        self.lanes_ = np.array(lanes)
        frame = won[inside].assign(kg=chargeable_kg(won[inside]), departure=departure[inside])
        # Won quotes show *when* demand books; departed flights' loads show *how much* in all
        # (most capacity is sold without a quote through us: allotments, forwarders' bookings).
        final = counted.groupby(counted["lane"].astype(str))["booked_kg"].mean()
        self.curves_ = np.array(
            [self._curve(frame, lane, n_flights[lane], final.get(lane)) for lane in lanes]
        )
        self.rates_ = np.array([_mean_rate(won, lane) for lane in lanes])
        self.cvs_ = np.array([self._cv(frame, lane, counted) for lane in lanes])
        return self

    def _curve(
        self, frame: pd.DataFrame, lane: str, n_flights: int, final_kg: float | None
    ) -> np.ndarray:
        """Expected kg still to book at most d days out, per flight."""
        rows = frame[frame["lane"].astype(str) == lane]
        days = np.clip(np.floor(rows["days_to_departure"].to_numpy(dtype=float)), 0, None)
        kg = np.bincount(
            np.minimum(days, self.horizon_days).astype(int), rows["kg"], self.horizon_days + 1
        )
        booked = np.cumsum(kg)
        if final_kg is None or not np.isfinite(final_kg) or booked[-1] <= 0:
            return booked / n_flights
        return booked / booked[-1] * max(float(final_kg), booked[-1] / n_flights)

    def _cv(self, frame: pd.DataFrame, lane: str, flights: pd.DataFrame) -> float:
        """Spread of total demand per flight, from kg per departure day over flights that day."""
        rows = frame[frame["lane"].astype(str) == lane]
        per_day = (
            flights[flights["lane"].astype(str) == lane]
            .groupby(pd.to_datetime(flights["departure"]).dt.normalize())
            .size()
        )
        kg = rows.groupby("departure")["kg"].sum().reindex(per_day.index, fill_value=0.0) / per_day
        cv = float(kg.std() / kg.mean()) if kg.mean() > 0 else self.max_cv
        return float(np.clip(cv, self.min_cv, self.max_cv))

    def predict_frame(self, flights: pd.DataFrame, as_of: Any) -> pd.DataFrame:
        """Remaining capacity, expected demand still to come, P(demand > capacity), bid price."""
        check_is_fitted(self)
        lane = _flight_lane_index(self.lanes_, flights["lane"])
        remaining = remaining_capacity_kg(flights)
        days_out = (pd.to_datetime(flights["departure"]) - pd.Timestamp(as_of)).dt.total_seconds()
        days = np.clip(np.floor(days_out.to_numpy() / 86400), -1, self.horizon_days).astype(int)
        curve = self.curves_[lane]
        demand = np.where(days >= 0, curve[np.arange(len(lane)), np.maximum(days, 0)], 0.0)
        p_exceed = _p_exceed(demand, remaining, self.cvs_[lane], curve[:, -1])
        return pd.DataFrame(
            {
                "remaining_kg": remaining,
                "expected_demand_kg": demand,
                "p_demand_exceeds": p_exceed,
                "displacement_per_kg": p_exceed * self.rates_[lane],
            },
            index=flights.index,
        )


def _days(values: pd.Series) -> pd.Series:
    return pd.to_timedelta(values.to_numpy(dtype=float), unit="D")


def _mean_rate(won: pd.DataFrame, lane: str) -> float:
    rows = won[won["lane"].astype(str) == lane]
    return float(
        np.average(to_float(rows["rate_per_kg"], "rate_per_kg"), weights=chargeable_kg(rows))
    )


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


def _p_exceed(
    demand: np.ndarray, remaining: np.ndarray, cv: np.ndarray, total: np.ndarray
) -> np.ndarray:
    """P(demand still to come > capacity left), demand Gamma with a CV that grows as it shrinks."""
    with np.errstate(divide="ignore", invalid="ignore"):
        # Fewer bookings to come means relatively more noise (as for a sum of bookings).
        cv_now = np.clip(cv * np.sqrt(np.where(demand > 0, total / demand, 1.0)), cv, 3.0)
        shape = 1.0 / cv_now**2
        p = special.gammaincc(shape, remaining * shape / np.where(demand > 0, demand, 1.0))
    return np.where(remaining <= 0, 1.0, np.where(demand > 0, p, 0.0))


def score(trained: Any, flights: pd.DataFrame, *, as_of: Any) -> pd.DataFrame:
    """Facts per flight: flight.displacement_cost (Decimal per kg), plus the numbers behind it."""
    require_columns(flights, ["flight_id", "lane", "departure"], "flights")
    curve: BookingCurve = trained.extras["booking_curve"]
    frame = curve.predict_frame(flights.reset_index(drop=True), as_of)
    frame.index = pd.Index(flights["flight_id"].to_numpy(), name="flight_id")
    frame.insert(0, FACT, decimals(frame.pop("displacement_per_kg").to_numpy()))
    frame["model_version"] = trained.version
    return frame
