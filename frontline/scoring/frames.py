"""Read the database into the DataFrames `models/` documents (docs/models.md).

Money leaves as float dollars read from the stored cents (exact to the cent, which is
all `models` needs); times leave as naive UTC timestamps, the form `models` compares.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, Select, func, select, type_coerce

from models import cargo_features

from .. import limits
from ..extensions import db
from ..tables import Booking, Customer, Flight, Guest, GuestOffer, Lane, Quote, QuoteOutcome, Visit
from ..tables.cargo import KG_PER_M3

FEW_CUSTOMERS = 100


def _cents(column) -> object:
    """The raw stored minor units of a Money/Fixed column (skips Decimal for speed)."""
    return type_coerce(column, BigInteger)


def _frame(query: Select, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(db.session.execute(query).all(), columns=columns)


def naive_utc(values: pd.Series) -> pd.Series:
    """Aware datetimes as naive UTC timestamps."""
    return pd.to_datetime(values, utc=True).dt.tz_localize(None)


def to_naive_utc(moment: datetime) -> datetime:
    """One aware datetime as naive UTC (naive ones are taken to be UTC already)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _in_range(column) -> object:
    """Rows older than 2000 or after 2099 (stored before the limits) would stop pandas."""
    return column.between(limits.EARLIEST_DAY, limits.LATEST_DAY)


def out_of_range() -> dict[str, int]:
    """How many stored rows visits() and offers() leave out, for the run's report."""
    span = f"{limits.EARLIEST_DAY}..{limits.LATEST_DAY}"
    counted = {"visits": Visit.visit_date, "offers": GuestOffer.offered_on}
    return {
        f"{what} dated outside {span}": db.session.scalar(
            select(func.count()).where(~_in_range(column))
        )
        for what, column in counted.items()
    }


def visits() -> pd.DataFrame:
    """guest_id, visit_date, theo_win, spend (float dollars), one row per visit."""
    query = select(
        Visit.guest_id, Visit.visit_date, _cents(Visit.theo_win), _cents(Visit.spend)
    ).where(_in_range(Visit.visit_date))
    query = query.order_by(Visit.guest_id, Visit.visit_date)
    frame = _frame(query, ["guest_id", "visit_date", "theo_win", "spend"])
    frame["visit_date"] = pd.to_datetime(frame["visit_date"])
    frame[["theo_win", "spend"]] = frame[["theo_win", "spend"]].astype(float) / 100
    return frame


def guests() -> pd.DataFrame:
    """guest_id, tier, and the profile's tastes (interests, cuisines: lists) for every guest."""
    query = select(Guest.id, Guest.tier, Guest.interests, Guest.cuisines).order_by(Guest.id)
    frame = _frame(query, ["guest_id", "tier", "interests", "cuisines"])
    frame["tier"] = frame["tier"].map(lambda tier: tier.value)
    for column in ("interests", "cuisines"):
        frame[column] = frame[column].map(lambda values: list(values or []))
    return frame


def offers() -> pd.DataFrame:
    """guest_id, offered_on, offer_type, value (float dollars), accepted."""
    query = select(
        GuestOffer.guest_id,
        GuestOffer.offered_on,
        GuestOffer.offer_type,
        _cents(GuestOffer.value),
        GuestOffer.accepted,
    ).where(_in_range(GuestOffer.offered_on))
    query = query.order_by(GuestOffer.offered_on, GuestOffer.id)
    frame = _frame(query, ["guest_id", "offered_on", "offer_type", "value", "accepted"])
    frame["offered_on"] = pd.to_datetime(frame["offered_on"])
    frame["offer_type"] = frame["offer_type"].map(lambda kind: kind.value)
    frame["value"] = frame["value"].astype(float) / 100
    frame["accepted"] = frame["accepted"].astype(bool)
    return frame


def flights(
    departing_from: datetime | None = None, flight_ids: list[int] | None = None
) -> pd.DataFrame:
    """flight_id, lane, departure, capacity and booked kg and m3 (floats)."""
    query = select(
        Flight.id,
        Lane.code,
        Flight.departs_at,
        Flight.capacity_kg,
        Flight.booked_kg,
        _cents(Flight.capacity_m3),
        _cents(Flight.booked_m3),
    ).join(Lane, Flight.lane_id == Lane.id)
    if departing_from is not None:
        query = query.where(Flight.departs_at >= departing_from)
    if flight_ids is not None:
        query = query.where(Flight.id.in_(flight_ids))
    columns = ["flight_id", "lane", "departure", "capacity_kg", "booked_kg"]
    frame = _frame(query.order_by(Flight.departs_at, Flight.id), [*columns, "m3", "booked"])
    frame["departure"] = naive_utc(frame["departure"])
    frame[["capacity_kg", "booked_kg"]] = frame[["capacity_kg", "booked_kg"]].astype(float)
    # Fixed(3): volumes are stored in thousandths of a cubic metre.
    frame["capacity_m3"] = frame.pop("m3").astype(float) / 1000
    frame["booked_m3"] = frame.pop("booked").astype(float) / 1000
    return frame


def quotes() -> pd.DataFrame:
    """Decided quotes (won or lost) with the request columns `cargo_pricing.train` needs."""
    query = (
        select(
            Quote.id,
            Quote.quoted_at,
            Quote.customer_id,
            Customer.tier,
            Lane.code,
            Quote.weight_kg,
            _cents(Quote.volume_m3),
            _cents(Quote.rate_per_kg),
            _cents(Quote.competitor_best_rate),
            Quote.transit_diff_hours,
            Quote.load_factor_at_quote,
            Flight.departs_at,
            Quote.ready_date,
            Quote.outcome,
        )
        .join(Customer, Quote.customer_id == Customer.id)
        .join(Lane, Quote.lane_id == Lane.id)
        .outerjoin(Flight, Quote.flight_id == Flight.id)
        .where(Quote.outcome != QuoteOutcome.PENDING)
        .order_by(Quote.quoted_at, Quote.id)
    )
    frame = _frame(query, QUOTE_QUERY_COLUMNS)
    return _shape_quotes(frame)


QUOTE_QUERY_COLUMNS = [
    "quote_id",
    "quoted_at",
    "customer_id",
    "customer_tier",
    "lane",
    "weight_kg",
    "volume",
    "rate",
    "competitor",
    "transit_diff_hours",
    "load_factor",
    "departs_at",
    "ready_date",
    "outcome",
]


def _shape_quotes(frame: pd.DataFrame) -> pd.DataFrame:
    frame["quoted_at"] = naive_utc(frame["quoted_at"])
    frame["customer_tier"] = frame["customer_tier"].map(lambda tier: tier.value)
    frame["weight_kg"] = frame["weight_kg"].astype(float)
    frame["volume_m3"] = frame.pop("volume").astype(float) / 1000
    frame["rate_per_kg"] = frame.pop("rate").astype(float) / 100
    frame["competitor_best_rate"] = pd.to_numeric(frame.pop("competitor")) / 100
    frame["transit_diff_hours"] = pd.to_numeric(frame["transit_diff_hours"])
    frame["days_to_departure"] = _days_to_departure(frame)
    # A quote logged without the flight's load factor gets the typical one, not zero.
    load = pd.to_numeric(frame["load_factor"])
    frame["load_factor"] = load.fillna(load.median() if load.notna().any() else 0.5)
    frame["share_of_wallet"] = share_of_wallet(frame["customer_id"], frame["quoted_at"])
    frame["won"] = frame.pop("outcome").map(lambda outcome: outcome == QuoteOutcome.WON)
    return frame.drop(columns=["departs_at", "ready_date"])


def days_between(start: datetime, end: datetime) -> float:
    """Days from START to END, never negative: one quote's days_to_departure, as below."""
    return max((end - start).total_seconds() / 86400, 0.0)


def _days_to_departure(frame: pd.DataFrame) -> pd.Series:
    """Days from the quote to its flight, or to the ready date when no flight was chosen."""
    departs = naive_utc(frame["departs_at"]) if frame["departs_at"].notna().any() else None
    ready = pd.to_datetime(frame["ready_date"])
    target = ready if departs is None else departs.fillna(ready)
    return ((target - frame["quoted_at"]).dt.total_seconds() / 86400).clip(lower=0)


def share_of_wallet(customer_ids: pd.Series, at: pd.Series) -> np.ndarray:
    """Each customer's share of wallet at each time, by `models.cargo_features.share_of_wallet`
    (the one definition training and serving share)."""
    ids = pd.Series(customer_ids).reset_index(drop=True).astype(int)
    start = db.session.scalar(select(func.min(Booking.booked_at)))
    if start is None:
        return np.zeros(len(ids))
    return cargo_features.share_of_wallet(
        ids,
        pd.Series(pd.to_datetime(at)).reset_index(drop=True),
        _booking_revenue(sorted(set(ids))),
        _annual_spend(sorted(set(ids))),
        history_start=naive_utc(pd.Series([start]))[0],
    )


def bookings() -> pd.DataFrame:
    """flight_id, customer_id, booked_at, weight_kg, volume_m3, rate_per_kg: every booking."""
    query = select(
        Booking.flight_id,
        Booking.customer_id,
        Booking.booked_at,
        Booking.weight_kg,
        _cents(Booking.volume_m3),
        _cents(Booking.rate_per_kg),
    ).order_by(Booking.booked_at, Booking.id)
    columns = ["flight_id", "customer_id", "booked_at", "weight_kg", "m3", "rate"]
    frame = _frame(query, columns)
    frame["booked_at"] = naive_utc(frame["booked_at"])
    frame["weight_kg"] = frame["weight_kg"].astype(float)
    frame["volume_m3"] = frame.pop("m3").astype(float) / 1000
    frame["rate_per_kg"] = frame.pop("rate").astype(float) / 100
    return frame


def _booking_revenue(customer_ids: list[int]) -> pd.DataFrame:
    """customer_id, booked_at, revenue (chargeable kg x rate, dollars) of their bookings."""
    query = select(
        Booking.customer_id,
        Booking.booked_at,
        Booking.weight_kg,
        _cents(Booking.volume_m3),
        _cents(Booking.rate_per_kg),
    )
    if len(customer_ids) <= FEW_CUSTOMERS:  # one quote's guidance reads only its customer
        query = query.where(Booking.customer_id.in_(customer_ids))
    frame = _frame(query, ["customer_id", "booked_at", "kg", "m3", "rate"])
    chargeable = np.maximum(frame["kg"], frame["m3"] / 1000 * float(KG_PER_M3))
    frame["revenue"] = chargeable * frame["rate"] / 100
    frame["booked_at"] = naive_utc(frame["booked_at"])
    return frame[["customer_id", "booked_at", "revenue"]]


def _annual_spend(customer_ids: list[int]) -> pd.Series:
    query = select(Customer.id, _cents(Customer.est_annual_spend))
    if len(customer_ids) <= FEW_CUSTOMERS:
        query = query.where(Customer.id.in_(customer_ids))
    rows = db.session.execute(query).all()
    return pd.Series({cid: cents / 100 if cents else np.nan for cid, cents in rows}, dtype=float)
