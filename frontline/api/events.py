"""POST /api/v1/events (one) and /events/batch (up to 500): floor events, idempotent by id."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..casino import intake
from ..casino.arrivals import EventConflict, Incoming, Receipt, UnknownGuest
from ..casino.zones import is_zone
from .auth import require_scope
from .input import Blueprint, Instant, not_in_the_future
from .signatures import signed_if_configured

blp = Blueprint("api_events", __name__, url_prefix="/events", description="Floor events")

EVENT_TYPES = ("guest.arrived", "guest.moved", "guest.left")
MAX_BATCH_EVENTS = 500
SOURCES = ("card_in", "beacon", "hotel_checkin", "manual")


class LocationSchema(Schema):
    zone = fields.String(required=True, validate=validate.Length(min=1, max=40))


class EventSchema(Schema):
    id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES))
    occurred_at = Instant(required=True, validate=not_in_the_future)
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


class EventBatchSchema(Schema):
    events = fields.List(
        fields.Nested(EventSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_BATCH_EVENTS),
    )


class ResultSchema(Schema):
    id = fields.String()
    code = fields.Integer(metadata={"description": "what POST /events would have answered"})
    status = fields.String(
        metadata={"description": "accepted, duplicate, conflict, unknown_guest or failed"}
    )
    cards = fields.Integer()
    message = fields.String()


class BatchResultSchema(Schema):
    results = fields.List(fields.Nested(ResultSchema))


class AcceptedSchema(Schema):
    id = fields.String()
    status = fields.String()
    cards = fields.Integer()


#: Seconds an integration waits before sending a refused event again.
RETRY_AFTER = "1"


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
            message = f"{error}; send it again (the same id is stored once)."
            abort(503, message=message, headers={"Retry-After": RETRY_AFTER})
        if isinstance(outcome, UnknownGuest):
            abort(422, errors={"json": {"guest_id": [_unknown(outcome)]}})
        if isinstance(outcome, EventConflict):
            abort(409, message=_conflict(outcome))
        answer = _receipt(outcome)
        return answer, answer.pop("code")


@blp.route("/batch")
class EventBatch(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_scope("events:write")
    @signed_if_configured
    @blp.arguments(EventBatchSchema())
    @blp.response(200, BatchResultSchema)
    def post(self, payload):
        """Receive up to 500 events in order; each gets the answer POST /events would give.

        A body with any invalid event answers 422 with every error by index, and nothing is
        stored. Otherwise each event is stored (or found a repeat) on its own: retry the ones
        whose code is 500 or 503 with the same ids.
        """
        items = [Incoming(event, sender=g.api_token.name) for event in payload["events"]]
        outcomes = intake.submit_many(items)
        return {"results": [_result(item, o) for item, o in zip(items, outcomes, strict=True)]}


def _unknown(outcome: UnknownGuest) -> str:
    return f"Unknown guest {outcome.args[0]!r}."


def _conflict(outcome: EventConflict) -> str:
    return f"Event {outcome.args[0]!r} was already received with a different body."


def _receipt(receipt: Receipt) -> dict:
    status = "accepted" if receipt.created else "duplicate"
    code = 202 if receipt.created else 200
    return {"id": receipt.event_id, "code": code, "status": status, "cards": receipt.cards}


def _result(item: Incoming, outcome) -> dict:
    """One event's line in a batch answer."""
    if isinstance(outcome, Receipt):
        return _receipt(outcome)
    event_id = item.payload["id"]
    if isinstance(outcome, UnknownGuest):
        return {
            "id": event_id,
            "code": 422,
            "status": "unknown_guest",
            "message": _unknown(outcome),
        }
    if isinstance(outcome, EventConflict):
        return {"id": event_id, "code": 409, "status": "conflict", "message": _conflict(outcome)}
    busy = isinstance(outcome.error, intake.IntakeBusy)
    message = f"Not stored ({outcome.error.__class__.__name__}); send it again."
    return {"id": event_id, "code": 503 if busy else 500, "status": "failed", "message": message}
