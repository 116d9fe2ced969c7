"""Cargo data in and capacity out: flights, bookings, quotes, competitor rates (all or none).

Each POST takes a list. Every field error of every item is reported at once (422, keyed by
item index); a repeated id with the same values changes nothing, with other values it is a
422 on that item. New bookings and capacity changes re-evaluate the reps' outlook at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from ..cargo import outlook
from ..cargo.capacity import board
from ..extensions import db
from ..imports import cargo as store
from ..tables import Customer, Lane, LostReason, QuoteOutcome, utcnow
from .auth import require_scope

blp = Blueprint("api_cargo", __name__, url_prefix="/cargo", description="Cargo sales data")

RATE = {"validate": validate.Range(min=0.01, max=100)}
ID = fields.String(required=True, validate=validate.Length(min=1, max=64))
KG = validate.Range(min=1, max=150_000)


def _exact(places: int):
    """Refuse more decimals than we store, instead of rounding money silently."""

    def check(value):
        if value != value.quantize(type(value)(1).scaleb(-places)):
            raise ValidationError(f"At most {places} decimal places.")

    return check


class FlightSchema(Schema):
    number = fields.String(required=True, validate=validate.Length(min=2, max=10))
    lane = fields.String(required=True, validate=validate.Length(min=7, max=16))
    departs_at = fields.AwareDateTime(required=True)
    arrives_at = fields.AwareDateTime(required=True)
    capacity_kg = fields.Integer(required=True, validate=validate.Range(min=1, max=200_000))
    capacity_m3 = fields.Decimal(required=True, places=3, validate=[validate.Range(1, 2000)])

    @validates_schema
    def arrives_after_departure(self, data, **kwargs):
        if (
            data.get("arrives_at")
            and data.get("departs_at")
            and data["arrives_at"] <= data["departs_at"]
        ):
            raise ValidationError({"arrives_at": ["Must be after departs_at."]})


class BookingSchema(Schema):
    id = ID
    flight_number = fields.String(required=True, validate=validate.Length(min=2, max=10))
    departs_at = fields.AwareDateTime(required=True)
    customer = fields.String(required=True, validate=validate.Length(min=1, max=32))
    weight_kg = fields.Integer(required=True, validate=KG)
    volume_m3 = fields.Decimal(required=True, places=3, validate=[validate.Range(0, 1000)])
    rate_per_kg = fields.Decimal(required=True, validate=[RATE["validate"], _exact(2)])
    booked_at = fields.AwareDateTime(load_default=None)


class QuoteSchema(Schema):
    id = ID
    customer = fields.String(required=True, validate=validate.Length(min=1, max=32))
    lane = fields.String(required=True, validate=validate.Length(min=7, max=16))
    quoted_at = fields.AwareDateTime(required=True)
    ready_date = fields.Date(required=True)
    weight_kg = fields.Integer(required=True, validate=KG)
    volume_m3 = fields.Decimal(required=True, places=3, validate=[validate.Range(0, 1000)])
    commodity = fields.String(load_default="general", validate=validate.Length(min=1, max=40))
    rate_per_kg = fields.Decimal(required=True, validate=[RATE["validate"], _exact(2)])
    outcome = fields.String(required=True, validate=validate.OneOf([o.value for o in QuoteOutcome]))
    lost_reason = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf([r.value for r in LostReason])
    )
    won_rate_per_kg = fields.Decimal(
        load_default=None, allow_none=True, validate=[RATE["validate"], _exact(2)]
    )
    competitor_best_rate = fields.Decimal(
        load_default=None, allow_none=True, validate=[RATE["validate"], _exact(2)]
    )


class CompetitorRateSchema(Schema):
    id = ID
    carrier = fields.String(required=True, validate=validate.Length(min=1, max=40))
    lane = fields.String(required=True, validate=validate.Length(min=7, max=16))
    observed_on = fields.Date(required=True)
    rate_per_kg = fields.Decimal(
        required=True, validate=[validate.Range(min=0.01, max=1000), _exact(2)]
    )
    currency = fields.String(load_default="USD", validate=validate.Regexp(r"^[A-Z]{3}$"))
    usd_per_unit = fields.Decimal(
        load_default=None, allow_none=True, validate=[validate.Range(min=0.000001), _exact(6)]
    )
    transit_hours = fields.Integer(required=True, validate=validate.Range(min=1, max=400))


class CountsSchema(Schema):
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()


class FlightRowSchema(Schema):
    number = fields.String()
    lane = fields.String()
    departs_at = fields.DateTime()
    capacity_kg = fields.Integer()
    booked_kg = fields.Integer()
    capacity_m3 = fields.Decimal(as_string=True)
    booked_m3 = fields.Decimal(as_string=True)
    band = fields.String()
    displacement_cost = fields.Decimal(as_string=True, allow_none=True)


def _codes(model, rows: list[dict], key: str, what: str, errors: dict) -> None:
    """Replace each row's code in KEY by the id; unknown codes become field errors."""
    found = dict(db.session.execute(select(model.code, model.id)).all())
    for i, row in enumerate(rows):
        code = row.pop(key)
        if code not in found:
            errors.setdefault(i, {})[key] = [f"Unknown {what} {code!r}."]
        row[f"{key}_id"] = found.get(code)


def _shape(rows: list[dict], check: Callable[[dict], dict[str, str]], errors: dict) -> None:
    for i, row in enumerate(rows):
        for field, why in check(row).items():
            errors.setdefault(i, {})[field] = [why[0].upper() + why[1:] + "."]


def _flights(rows: list[dict], errors: dict) -> None:
    for i, row in enumerate(rows):
        flight = store.find_flight(row.pop("flight_number"), row.pop("departs_at"))
        row["booked_at"] = row["booked_at"] or utcnow()
        if flight is None:
            errors.setdefault(i, {})["flight_number"] = ["No such flight at that departure time."]
        row["flight_id"] = flight.id if flight else None


def _save(rows: list[dict], errors: dict, save: Callable) -> tuple[dict, int]:
    if errors:
        abort(422, errors={"json": errors})
    try:
        created, updated, unchanged = save(rows)
    except store.Rejected as refused:
        found = {i: {k: [v] for k, v in e.items()} for i, e in refused.errors.items()}
        abort(422, errors={"json": found})
    body = {"created": created, "updated": updated, "unchanged": unchanged}
    return body, 201 if created else 200


def _refresh(flight_ids: list[int]) -> None:
    if flight_ids:
        outlook.refresh(utcnow(), flight_ids=flight_ids)


@blp.route("/flights")
class Flights(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_scope("cargo:write")
    @blp.arguments(FlightSchema(many=True))
    @blp.response(200, CountsSchema)
    def post(self, rows):
        """Create flights or update their capacity (number + departs_at identify a flight)."""
        errors: dict[int, dict] = {}
        _codes(Lane, rows, "lane", "lane", errors)
        answer = _save(rows, errors, store.store_flights)
        _refresh([f.id for r in rows if (f := store.find_flight(r["number"], r["departs_at"]))])
        return answer

    @blp.doc(security=[{"bearerAuth": []}])
    @require_scope("cargo:read")
    @blp.response(200, FlightRowSchema(many=True))
    def get(self):
        """The next 14 days of departures with booked weight and volume, band and displacement."""
        return [_row(r) for r in board(utcnow(), None)]


def _row(row) -> dict[str, Any]:
    f = row.flight
    return {
        "number": f.number,
        "lane": f.lane_code,
        "departs_at": f.departs_at,
        "capacity_kg": f.capacity_kg,
        "booked_kg": f.booked_kg,
        "capacity_m3": f.capacity_m3,
        "booked_m3": f.booked_m3,
        "band": row.band,
        "displacement_cost": row.displacement,
    }


@blp.route("/bookings")
class Bookings(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_scope("cargo:write")
    @blp.arguments(BookingSchema(many=True))
    @blp.response(200, CountsSchema)
    def post(self, rows):
        """Add bookings (idempotent by id); each fills its flight."""
        errors: dict[int, dict] = {}
        _codes(Customer, rows, "customer", "customer", errors)
        _flights(rows, errors)
        flight_ids = sorted({r["flight_id"] for r in rows if r.get("flight_id")})
        answer = _save(rows, errors, store.store_bookings)
        _refresh(flight_ids)
        return answer


@blp.route("/quotes")
class Quotes(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_scope("cargo:write")
    @blp.arguments(QuoteSchema(many=True))
    @blp.response(200, CountsSchema)
    def post(self, rows):
        """Add quotes with outcomes; a known id updates its outcome."""
        errors: dict[int, dict] = {}
        _codes(Customer, rows, "customer", "customer", errors)
        _codes(Lane, rows, "lane", "lane", errors)
        _shape(rows, store.quote_row, errors)
        return _save(rows, errors, store.store_quotes)


@blp.route("/competitor-rates")
class CompetitorRates(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_scope("cargo:write")
    @blp.arguments(CompetitorRateSchema(many=True))
    @blp.response(200, CountsSchema)
    def post(self, rows):
        """Add competitor rate observations; other currencies need usd_per_unit."""
        errors: dict[int, dict] = {}
        _codes(Lane, rows, "lane", "lane", errors)
        _shape(rows, store.competitor_row, errors)
        return _save(rows, errors, store.store_competitor_rates)
