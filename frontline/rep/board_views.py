"""The capacity board and one flight's detail."""

from datetime import date

from flask import abort, request, url_for
from flask_login import current_user

from ..auth import role_required
from ..cargo.capacity import DISPLACEMENT, board, by_day, flight_row, rep_lanes
from ..extensions import db
from ..rendering import render
from ..scoring.facts import load_facts
from ..tables import Booking, Flight, Role, utcnow
from . import bp


@bp.get("/board")
@role_required(Role.REP)
def capacity():
    lanes = rep_lanes(current_user.id)
    lane = next((x for x in lanes if x.code == request.args.get("lane")), None)
    day = _day(request.args.get("date", ""))
    rows = board(utcnow(), current_user.id, lane.id if lane else None, day)
    return render(
        "rep/board.html", block="board",
        days=by_day(rows), lanes=lanes, lane=lane, day=day, count=len(rows),
        flight_href=url_for("rep.flight", flight_id=0)[:-1],  # one url_for, not one per row
    )  # fmt: skip


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@bp.get("/flights/<int:flight_id>")
@role_required(Role.REP)
def flight(flight_id: int):
    found = db.session.get(Flight, flight_id) or abort(404)
    fact = load_facts("flight", found.id).get(DISPLACEMENT)
    bookings = db.session.scalars(
        db.select(Booking).where(Booking.flight_id == found.id).order_by(Booking.booked_at.desc())
    ).all()
    row = flight_row(found, fact.value if fact else None)
    return render("rep/flight.html", row=row, bookings=bookings, fact=fact)
