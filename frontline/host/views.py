"""The host's inbox and guest book."""

from flask_login import current_user
from sqlalchemy import func, select

from ..auth import role_required
from ..extensions import db
from ..rendering import render
from ..tables import Guest, Role, Visit
from . import bp


@bp.get("/")
@role_required(Role.HOST)
def inbox():
    last_visit = (
        select(Visit.guest_id, func.max(Visit.visit_date).label("last_visit"))
        .group_by(Visit.guest_id)
        .subquery()
    )
    query = (
        select(Guest, last_visit.c.last_visit)
        .outerjoin(last_visit, last_visit.c.guest_id == Guest.id)
        .where(Guest.host_id == current_user.id)
        .order_by(last_visit.c.last_visit.desc().nulls_last(), Guest.name)
        .limit(50)
    )
    guests = db.session.execute(query).all()
    return render("host/inbox.html", block="inbox", guests=guests)
