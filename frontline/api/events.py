"""POST /api/v1/events: floor events (arrivals, moves, departures), idempotent by id."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..guidance import intake
from ..guidance.arrivals import EventConflict, Incoming, UnknownGuest
from ..zones import is_zone
from .auth import require_scope
from .signatures import signed_if_configured

blp = Blueprint("api_events", __name__, url_prefix="/events", description="Floor events")

EVENT_TYPES = ("guest.arrived", "guest.moved", "guest.left")
SOURCES = ("card_in", "beacon", "hotel_checkin", "manual")


class LocationSchema(Schema):
    zone = fields.String(required=True, validate=validate.Length(min=1, max=40))


class EventSchema(Schema):
    id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES))
    occurred_at = fields.AwareDateTime(required=True)
    guest_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    location = fields.Nested(LocationSchema, load_default=None)
    source = fields.String(required=True, validate=validate.OneOf(SOURCES))

    @validates_schema
    def zone_is_known(self, data, **kwargs):
        zone = (data.get("location") or {}).get("zone")
        if data.get("type") in ("guest.arrived", "guest.moved") and zone is None:
            raise ValidationError({"location": ["An arrival or move needs location.zone."]})
        if zone is not None and not is_zone(zone):
            raise ValidationError({"location": {"zone": [f"Unknown zone {zone!r}."]}})


class AcceptedSchema(Schema):
    id = fields.String()
    status = fields.String()
    cards = fields.Integer()


@blp.route("")
class Events(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_scope("events:write")  # outermost: who you are is checked before what you sent
    @signed_if_configured
    @blp.arguments(EventSchema())  # an instance: building one per request costs more than a load
    @blp.response(202, AcceptedSchema)
    @blp.alt_response(200, schema=AcceptedSchema, description="The same event again: no change")
    @blp.alt_response(409, description="The id was used with a different body")
    @blp.alt_response(503, description="Not stored in time; send the same event again")
    def post(self, payload):
        """Receive an event; 202 when new, 200 when the same event was already received."""
        try:
            outcome = intake.submit(Incoming(payload, sender=g.api_token.name))
        except intake.IntakeBusy as error:
            abort(503, message=f"{error}; send it again (the same id is stored once).")
        if isinstance(outcome, UnknownGuest):
            abort(422, errors={"json": {"guest_id": [f"Unknown guest {outcome.args[0]!r}."]}})
        if isinstance(outcome, EventConflict):
            message = f"Event {outcome.args[0]!r} was already received with a different body."
            abort(409, message=message)
        body = {"id": outcome.event_id, "status": "accepted" if outcome.created else "duplicate"}
        return body | {"cards": outcome.cards}, 202 if outcome.created else 200
