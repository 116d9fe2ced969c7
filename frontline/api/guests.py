"""Guest profiles and visit history from the loyalty and hotel systems."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from ..casino.zones import is_zone
from ..extensions import db
from ..tables import Guest, GuestTier, Visit
from ..tables.people import User
from .auth import require_scope

blp = Blueprint("api_guests", __name__, url_prefix="/guests", description="Guests and visits")

Tags = fields.List(
    fields.String(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=20)
)
MONEY = {"as_string": True, "places": 2, "validate": validate.Range(min=0, max=10**9)}


class GuestSchema(Schema):
    external_id = fields.String(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    tier = fields.String(required=True, validate=validate.OneOf([t.value for t in GuestTier]))
    host_email = fields.Email(load_default=None, allow_none=True)
    cuisines = Tags
    drinks = Tags
    interests = Tags
    self_excluded = fields.Boolean(load_default=False)
    do_not_market = fields.Boolean(load_default=False)
    notes = fields.String(load_default="", validate=validate.Length(max=2000))
    current_zone = fields.String(dump_only=True)


class VisitSchema(Schema):
    visit_date = fields.Date(required=True)
    zone = fields.String(required=True, validate=validate.Length(min=1, max=40))
    spend = fields.Decimal(required=True, **MONEY)
    theo_win = fields.Decimal(required=True, **MONEY)
    rating = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 5))
    complaint = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=2000)
    )


def _host(email: str | None) -> User | None:
    if email is None:
        return None
    host = User.by_email(email)
    if host is None or host.role.value != "host":
        abort(422, errors={"json": {"host_email": [f"No host with e-mail {email!r}."]}})
    return host


def _guest_or_404(external_id: str) -> Guest:
    guest = db.session.scalar(select(Guest).where(Guest.external_id == external_id))
    if guest is None:
        abort(404, message=f"No guest {external_id!r}.")
    return guest


@blp.route("/<string:external_id>")
class GuestProfile(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_scope("guests:read")
    @blp.response(200, GuestSchema)
    def get(self, external_id):
        """A guest's profile."""
        return _serialise(_guest_or_404(external_id))

    @blp.doc(security=[{"bearerAuth": []}])
    @require_scope("guests:write")
    @blp.arguments(GuestSchema())
    @blp.response(200, GuestSchema)
    def put(self, data, external_id):
        """Create or replace a guest's profile."""
        host = _host(data.pop("host_email"))
        guest = db.session.scalar(select(Guest).where(Guest.external_id == external_id))
        if guest is None:
            guest = Guest(external_id=external_id)
            db.session.add(guest)
        for key, value in data.items():
            setattr(guest, key, GuestTier(value) if key == "tier" else value)
        guest.host = host
        db.session.commit()
        return _serialise(guest)


@blp.route("/<string:external_id>/visits")
class GuestVisits(MethodView):
    @blp.doc(security=[{"bearerAuth": []}])
    @require_scope("guests:write")
    @blp.arguments(VisitSchema(many=True))
    @blp.response(201, VisitSchema(many=True))
    def post(self, visits, external_id):
        """Append visits to a guest's history (all or none)."""
        guest = _guest_or_404(external_id)
        bad = {
            i: {"zone": [f"Unknown zone {v['zone']!r}."]}
            for i, v in enumerate(visits)
            if not is_zone(v["zone"])
        }
        if bad:
            abort(422, errors={"json": bad})
        rows = [Visit(guest_id=guest.id, **v) for v in visits]
        db.session.add_all(rows)
        db.session.commit()
        return rows


def _serialise(guest: Guest) -> dict:
    data = {c: getattr(guest, c) for c in GuestSchema().fields if hasattr(guest, c)}
    return data | {"tier": guest.tier.value, "host_email": guest.host.email if guest.host else None}
