"""The rep's lanes and their next departures."""

from datetime import timedelta

from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..auth import role_required
from ..extensions import db
from ..rendering import render
from ..tables import Flight, Lane, Role, utcnow
from . import bp


@bp.get("/")
@role_required(Role.REP)
def home():
    now = utcnow()
    query = (
        select(Flight)
        .join(Flight.lane)
        .options(joinedload(Flight.lane))
        .where(Lane.rep_id == current_user.id)
        .where(Flight.departs_at.between(now, now + timedelta(days=3)))
        .order_by(Flight.departs_at)
        .limit(40)
    )
    flights = db.session.scalars(query).all()
    return render("rep/home.html", flights=flights)
