"""Cargo data in: flights and capacity, bookings, quotes with outcomes, competitor rates.

One store function per kind serves both the API (`api/cargo.py`) and CSV files (columns in
docs/rep.md). Rows arrive parsed, with references resolved; the store checks what needs the
database (capacity, repeated ids), and raises `Rejected` naming every bad row and field
before anything is written. Each returns (created, updated, unchanged).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from .. import limits
from ..extensions import db
from ..tables import (
    Booking,
    CompetitorOffer,
    Customer,
    Flight,
    Lane,
    LostReason,
    Quote,
    QuoteOutcome,
    utcnow,
)
from . import parsers as p
from .csvfile import Column, ImportFailed, RowError, read_rows

CENT = Decimal("0.01")
Counts = tuple[int, int, int]


class Rejected(Exception):
    """Rows the database refuses: {row index: {field: reason}}; nothing was written."""

    def __init__(self, errors: dict[int, dict[str, str]]) -> None:
        super().__init__(f"{len(errors)} row(s) refused")
        self.errors = errors


def to_usd(rate: Decimal, currency: str, usd_per_unit: Decimal | None) -> Decimal:
    """A rate in US dollars, exact to the cent (half to even); other currencies need a rate."""
    if currency == "USD":
        return rate
    if usd_per_unit is None:
        raise ValueError(f"a {currency} rate needs usd_per_unit (US dollars per {currency})")
    return (rate * usd_per_unit).quantize(CENT, rounding=ROUND_HALF_EVEN)


# -- store ----------------------------------------------------------------------------------


def store_flights(rows: list[dict[str, Any]]) -> Counts:
    """Create flights, or update a flight's capacity (number + departure is its identity)."""
    created = updated = unchanged = 0
    errors: dict[int, dict[str, str]] = {}
    for i, row in enumerate(rows):
        flight = find_flight(row["number"], row["departs_at"])
        if flight is None:
            db.session.add(Flight(**row, booked_kg=0, booked_m3=Decimal(0)))
            created += 1
            continue
        if row["capacity_kg"] < flight.booked_kg:
            errors[i] = {"capacity_kg": f"below the {flight.booked_kg:,} kg already booked"}
        changed = _assign(flight, row)
        updated, unchanged = updated + changed, unchanged + (not changed)
    _finish(errors)
    return created, updated, unchanged


def find_flight(number: str, departs_at: datetime) -> Flight | None:
    query = select(Flight).where(Flight.number == number, Flight.departs_at == departs_at)
    return db.session.scalar(query)


def _assign(target: Any, row: dict[str, Any]) -> bool:
    changed = False
    for key, value in row.items():
        if getattr(target, key) != value:
            setattr(target, key, value)
            changed = True
    return changed


def _finish(errors: dict[int, dict[str, str]]) -> None:
    if errors:
        db.session.rollback()
        raise Rejected(errors)
    db.session.commit()


def store_bookings(rows: list[dict[str, Any]]) -> Counts:
    """New bookings fill their flights; the same id with the same content is a no-op."""
    created = unchanged = 0
    errors: dict[int, dict[str, str]] = {}
    for i, row in enumerate(rows):
        existing = db.session.scalar(select(Booking).where(Booking.external_id == row["id"]))
        if existing is not None:
            same = _same(existing, row, ("flight_id", "customer_id", "weight_kg", "rate_per_kg"))
            unchanged += same
            if not same:
                errors[i] = {"id": f"booking {row['id']!r} was received with other values"}
            continue
        flight = db.session.get(Flight, row["flight_id"])
        if flight.booked_kg + row["weight_kg"] > flight.capacity_kg:
            free = flight.capacity_kg - flight.booked_kg
            errors[i] = {"weight_kg": f"{flight.number} has only {free:,} kg free"}
            continue
        flight.booked_kg += row["weight_kg"]
        flight.booked_m3 += row["volume_m3"]
        db.session.add(Booking(external_id=row.pop("id"), **row))
        created += 1
    _finish(errors)
    return created, 0, unchanged


def _same(existing: Any, row: dict[str, Any], keys: tuple[str, ...]) -> bool:
    return all(getattr(existing, key) == row[key] for key in keys)


def store_quotes(rows: list[dict[str, Any]]) -> Counts:
    """Create quotes; a known id updates only its outcome (won rate, lost reason)."""
    created = updated = unchanged = 0
    for row in rows:
        quote = db.session.scalar(select(Quote).where(Quote.external_id == row["id"]))
        outcome = {k: row[k] for k in ("outcome", "lost_reason", "won_rate_per_kg")}
        if quote is None:
            db.session.add(Quote(external_id=row.pop("id"), **row))
            created += 1
        elif _assign(quote, outcome):
            quote.decided_at = utcnow() if row["outcome"] != QuoteOutcome.PENDING else None
            updated += 1
        else:
            unchanged += 1
    db.session.commit()
    return created, updated, unchanged


def store_competitor_rates(rows: list[dict[str, Any]]) -> Counts:
    """Add observations; the same id twice is stored once, with other values refused."""
    created = unchanged = 0
    errors: dict[int, dict[str, str]] = {}
    for i, row in enumerate(rows):
        existing = db.session.scalar(
            select(CompetitorOffer).where(CompetitorOffer.external_id == row["id"])
        )
        if existing is None:
            db.session.add(CompetitorOffer(external_id=row.pop("id"), **row))
            created += 1
        elif _same(existing, row, ("carrier", "lane_id", "observed_on", "rate_per_kg")):
            unchanged += 1
        else:
            errors[i] = {"id": f"observation {row['id']!r} was received with other values"}
    _finish(errors)
    return created, 0, unchanged


# -- row shaping shared by the API and CSV ------------------------------------------------


def quote_row(row: dict[str, Any]) -> dict[str, str]:
    """Cross-field checks on a quote row; returns {field: reason} (empty when good)."""
    problems = {}
    if row["outcome"] == "lost" and not row.get("lost_reason"):
        problems["lost_reason"] = "a lost quote needs a lost_reason"
    if row["outcome"] != "lost" and row.get("lost_reason"):
        problems["lost_reason"] = f"only a lost quote has a lost_reason, not a {row['outcome']} one"
    if row.get("won_rate_per_kg") is not None and row["outcome"] != "won":
        problems["won_rate_per_kg"] = "only a won quote has a won rate"
    row["outcome"] = QuoteOutcome(row["outcome"])
    row["lost_reason"] = LostReason(row["lost_reason"]) if row.get("lost_reason") else None
    return problems


def competitor_row(row: dict[str, Any]) -> dict[str, str]:
    """Convert to US dollars; returns {field: reason} (empty when good)."""
    currency, fx = row["currency"], row.pop("usd_per_unit", None)
    try:
        usd = to_usd(row["rate_per_kg"], currency, fx)
    except ValueError as error:
        return {"usd_per_unit": str(error)}
    if currency != "USD":
        row.update(local_rate_per_kg=row["rate_per_kg"], usd_per_unit=fx, rate_per_kg=usd)
    return {}


# -- CSV ------------------------------------------------------------------------------------


def decimal(places: int, low: Decimal | int, high: Decimal | int) -> Callable[[str], Decimal]:
    """An exact number with at most PLACES decimals, between LOW and HIGH."""

    def parse(value: str) -> Decimal:
        try:
            number = Decimal(value.replace(",", ""))
        except ArithmeticError:
            raise ValueError(f"{value!r} is not a number") from None
        limits.amount(number, places)
        if not Decimal(low) <= number <= Decimal(high):
            raise ValueError(f"{value} is outside {low} to {high:,}")
        return number

    return parse


def currency(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValueError(f"{value!r} is not a currency code like USD or EUR")
    return code


def _lookups() -> dict[str, dict[str, Any]]:
    return {
        "lane": dict(db.session.execute(select(Lane.code, Lane.id)).all()),
        "customer": dict(db.session.execute(select(Customer.code, Customer.id)).all()),
    }


def flight_columns() -> list[Column]:
    lanes = {code: id_ for code, id_ in _lookups()["lane"].items()}
    return [
        Column("number", p.text(10)),
        Column("lane", p.known(lanes, "lane")),
        Column("departs_at", p.aware_datetime),
        Column("arrives_at", p.aware_datetime),
        Column("capacity_kg", p.integer(1, 200_000)),
        Column("capacity_m3", decimal(3, 1, 2_000)),
    ]


def booking_columns() -> list[Column]:
    return [
        Column("id", p.text(64)),
        Column("flight_number", p.text(10)),
        Column("departs_at", p.aware_datetime),
        Column("customer", p.known(_lookups()["customer"], "customer")),
        Column("weight_kg", p.integer(1, 150_000)),
        Column("volume_m3", decimal(3, 0, 1_000)),
        Column("rate_per_kg", p.money(Decimal(100))),
        Column("booked_at", p.aware_datetime, required=False),
    ]


def quote_columns() -> list[Column]:
    found = _lookups()
    return [
        Column("id", p.text(64)),
        Column("customer", p.known(found["customer"], "customer")),
        Column("lane", p.known(found["lane"], "lane")),
        Column("quoted_at", p.aware_datetime),
        Column("ready_date", p.iso_date),
        Column("weight_kg", p.integer(1, 150_000)),
        Column("volume_m3", decimal(3, 0, 1_000)),
        Column("commodity", p.text(40), required=False, default="general"),
        Column("rate_per_kg", p.money(Decimal(100))),
        Column("outcome", p.choice(o.value for o in QuoteOutcome)),
        Column("lost_reason", p.choice(r.value for r in LostReason), required=False),
        Column("won_rate_per_kg", p.money(Decimal(100)), required=False),
        Column("competitor_best_rate", p.money(Decimal(100)), required=False),
    ]


def competitor_columns() -> list[Column]:
    return [
        Column("id", p.text(64)),
        Column("carrier", p.text(40)),
        Column("lane", p.known(_lookups()["lane"], "lane")),
        Column("observed_on", p.iso_date),
        Column("rate_per_kg", p.money(Decimal(1000))),
        Column("currency", currency, required=False, default="USD"),
        Column("usd_per_unit", decimal(6, Decimal("0.000001"), 100_000), required=False),
        Column("transit_hours", p.integer(1, 400)),
    ]


def _csv(
    path: str | Path,
    columns: list[Column],
    shape: Callable[[dict[str, Any]], dict[str, str]],
    store: Callable[[list[dict[str, Any]]], Counts],
) -> Counts:
    try:
        parsed, errors = read_rows(path, columns), []
    except ImportFailed as failed:
        # Bad cells: report them together with the row checks of every row whose cells parsed.
        parsed, errors = _good_rows(path, columns, failed), failed.errors
    lines, rows = [], []
    for line, row in parsed:
        errors += [RowError(line, field, why) for field, why in shape(row).items()]
        lines.append(line)
        rows.append(row)
    if errors:
        raise ImportFailed(str(path), sorted(errors, key=lambda e: e.line))
    try:
        return store(rows)
    except Rejected as refused:
        raise ImportFailed(str(path), _row_errors(refused, lines)) from None


def _good_rows(path: str | Path, columns: list[Column], failed: ImportFailed) -> list:
    """The rows with no bad cell, parsed again leniently (a header error leaves none)."""
    bad = {error.line for error in failed.errors}
    if 1 in bad:
        return []
    lenient = [Column(c.name, _quiet(c.parse), False, c.default) for c in columns]
    return [(line, row) for line, row in read_rows(path, lenient) if line not in bad]


def _quiet(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """A parser that gives None instead of raising (its row is dropped anyway)."""

    def run(text: str) -> Any:
        try:
            return parse(text)
        except (ValueError, ArithmeticError):
            return None

    return run


def _row_errors(refused: Rejected, lines: list[int]) -> list[RowError]:
    return [
        RowError(lines[i], field, why)
        for i, fields in sorted(refused.errors.items())
        for field, why in fields.items()
    ]


def _flight_shape(row: dict[str, Any]) -> dict[str, str]:
    row["lane_id"] = row.pop("lane")
    if row["arrives_at"] <= row["departs_at"]:
        return {"arrives_at": "must be after departs_at"}
    return {}


def _booking_shape(row: dict[str, Any]) -> dict[str, str]:
    flight = find_flight(row.pop("flight_number"), row.pop("departs_at"))
    row["customer_id"] = row.pop("customer")
    row["booked_at"] = row["booked_at"] or utcnow()
    if flight is None:
        return {"flight_number": "no such flight at that departure time"}
    row["flight_id"] = flight.id
    return {}


def _quote_shape(row: dict[str, Any]) -> dict[str, str]:
    row["customer_id"], row["lane_id"] = row.pop("customer"), row.pop("lane")
    return quote_row(row)


def _competitor_shape(row: dict[str, Any]) -> dict[str, str]:
    row["lane_id"] = row.pop("lane")
    return competitor_row(row)


def import_flights(path: str | Path) -> Counts:
    return _csv(path, flight_columns(), _flight_shape, store_flights)


def import_bookings(path: str | Path) -> Counts:
    return _csv(path, booking_columns(), _booking_shape, store_bookings)


def import_quotes(path: str | Path) -> Counts:
    return _csv(path, quote_columns(), _quote_shape, store_quotes)


def import_competitor_rates(path: str | Path) -> Counts:
    return _csv(path, competitor_columns(), _competitor_shape, store_competitor_rates)
