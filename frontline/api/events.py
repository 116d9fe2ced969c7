"""POST /api/v1/events: floor events (arrivals, moves, departures), idempotent by id."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from ..extensions import db
from ..guidance.arrivals import EventConflict, UnknownGuest, receive
from ..tables import Zone
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
        if zone is not None and not db.session.scalar(select(Zone.id).where(Zone.code == zone)):
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
    @blp.arguments(EventSchema)
    @blp.response(202, AcceptedSchema)
    @blp.alt_response(200, schema=AcceptedSchema, description="The same event again: no change")
    @blp.alt_response(409, description="The id was used with a different body")
    def post(self, payload):
        """Receive an event; 202 when new, 200 when the same event was already received."""
        try:
            receipt = receive(payload, sender=g.api_token.name)
        except UnknownGuest as error:
            abort(422, errors={"json": {"guest_id": [f"Unknown guest {error.args[0]!r}."]}})
        except EventConflict as error:
            abort(
                409, message=f"Event {error.args[0]!r} was already received with a different body."
            )
        status = 202 if receipt.created else 200
        body = {
            "id": receipt.event.external_id,
            "status": "accepted" if receipt.created else "duplicate",
        }
        return body | {"cards": len(receipt.cards)}, status
