"""PUT /api/v1/shifts/<shift_id>: a workforce-scheduling system keeps the roster in step.

Idempotent: the same PUT again changes nothing (200); DELETE twice is still 204. Times without
an offset are the resort's wall clock; answers carry UTC and the resort's local time.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select

from .. import limits
from ..casino import handover
from ..casino import shifts as s
from ..extensions import db
from ..tables import Shift, User, utcnow
from .auth import require_scope
from .input import Blueprint

blp = Blueprint("api_shifts", __name__, url_prefix="/shifts", description="Hosts' shifts")

SHIFT_ID = validate.Length(min=1, max=64)


class ResortTime(fields.DateTime):
    """ISO 8601 with an offset, or without one for the resort's wall clock."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return limits.instant(s.to_utc(moment, s.resort_zone()))
        except ValueError as error:
            raise ValidationError(str(error)) from None


class ShiftSchema(Schema):
    shift_id = fields.String(dump_only=True)
    host_email = fields.Email(required=True)
    starts_at = ResortTime(required=True)
    ends_at = ResortTime(required=True)
    zones = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)),
        required=True,
        validate=validate.Length(min=1, max=50),
    )
    manager = fields.Boolean(load_default=False)
    starts_local = fields.String(dump_only=True)
    ends_local = fields.String(dump_only=True)


class CoverSchema(Schema):
    zone = fields.String()
    people = fields.List(fields.Dict())


@blp.route("/<string:shift_id>")
class ShiftResource(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_scope("shifts:read")
    @blp.response(200, ShiftSchema)
    @blp.alt_response(404, description="No shift with that id")
    def get(self, shift_id):
        """A shift by the scheduling system's id."""
        return _serialise(_shift_or_404(shift_id))

    @blp.doc(security=[{"bearerAuth": []}])
    @require_scope("shifts:write")
    @blp.arguments(ShiftSchema())
    @blp.response(200, ShiftSchema)
    @blp.alt_response(201, description="Created")
    @blp.alt_response(422, description="A field is wrong, or the shift overlaps another")
    def put(self, data, shift_id):
        """Create or replace a shift (idempotent)."""
        _checked_id(shift_id)
        host = User.by_email(data["host_email"])
        shift_input = s.ShiftInput(
            host, data["starts_at"], data["ends_at"], data["zones"], data["manager"], shift_id
        )
        if host is None:
            shift_input.errors["email"] = f"No host with e-mail {data['host_email']!r}."
        try:
            shift, created = s.save(shift_input)
        except s.ShiftRefused as refused:
            db.session.rollback()
            fields_ = {_field(k): [why] for k, why in refused.errors.items()}
            abort(422, errors={"json": fields_})
        db.session.commit()
        return _serialise(shift), 201 if created else 200

    @blp.doc(security=[{"bearerAuth": []}])
    @require_scope("shifts:write")
    @blp.response(204)
    def delete(self, shift_id):
        """Remove a shift (a shift under way ends now and its open cards move on)."""
        _checked_id(shift_id)
        shift = db.session.scalar(select(Shift).where(Shift.external_id == shift_id))
        if shift is None:
            return None
        now = utcnow()
        if shift.starts_at <= now < shift.ends_at:
            shift.ends_at = now
            shift.external_id = None  # the id may be used again; the worked hours stay
            db.session.commit()
            handover.person_leaves(shift.user, now, f"shift ended {s.local(now):%H:%M}")
        else:
            db.session.delete(shift)
            db.session.commit()
        return None


@blp.route("/on-now")
class OnNow(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_scope("shifts:read")
    @blp.response(200, CoverSchema(many=True))
    def get(self):
        """Who is on shift now, zone by zone (managers last)."""
        cover = s.on_now(utcnow())
        return [
            {
                "zone": zone,
                "people": [
                    {"name": p.name, "manager": p.is_manager, "until": p.ends_at.isoformat()}
                    for p in people
                ],
            }
            for zone, people in sorted(cover.items())
        ]


def _field(key: str) -> str:
    return "host_email" if key == "email" else key


def _checked_id(shift_id: str) -> None:
    try:
        SHIFT_ID(shift_id)
    except ValidationError as error:
        abort(422, errors={"path": {"shift_id": error.messages}})


def _shift_or_404(shift_id: str) -> Shift:
    _checked_id(shift_id)
    shift = db.session.scalar(select(Shift).where(Shift.external_id == shift_id))
    if shift is None:
        abort(404, message=f"No shift {shift_id!r}.")
    return shift


def _serialise(shift: Shift) -> dict:
    return {
        "shift_id": shift.external_id,
        "host_email": shift.user.email,
        "starts_at": shift.starts_at,
        "ends_at": shift.ends_at,
        "zones": shift.zones,
        "manager": shift.is_manager,
        "starts_local": s.local(shift.starts_at).isoformat(),
        "ends_local": s.local(shift.ends_at).isoformat(),
    }
