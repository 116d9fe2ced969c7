"""The capacity board and one flight's detail."""

from datetime import date

from flask import abort, request, url_for
from flask_login import current_user

from ..auth import role_required
from ..cargo.accounts import seen_among
from ..cargo.capacity import board, by_day, flight_row, rep_lanes
from ..cargo.facts import DISPLACEMENT
from ..extensions import db
from ..rendering import render
from ..scoring.facts import load_facts
from ..tables import Booking, Flight, Role, utcnow
from . import bp

#: Departures per page of the board: a phone draws them fast and the rep scrolls little.
PAGE = 20


@bp.get("/board")
@role_required(Role.REP)
def capacity():
    lanes = rep_lanes(current_user.id)
    lane = next((x for x in lanes if x.code == request.args.get("lane")), None)
    day = _day(request.args.get("date", ""))
    rows = board(utcnow(), current_user.id, lane.id if lane else None, day)
    pages = max(1, -(-len(rows) // PAGE))
    page = min(_page(request.args.get("page", "")), pages)
    shown = rows[(page - 1) * PAGE : page * PAGE]
    return render(
        "rep/board.html", block="board",
        days=by_day(shown), lanes=lanes, lane=lane, day=day, count=len(rows),
        page=page, pages=pages,
        flight_href=url_for("rep.flight", flight_id=0)[:-1],  # one url_for, not one per row
    )  # fmt: skip


def _page(text: str) -> int:
    return int(text) if text.isdigit() and int(text) > 0 else 1


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
    shown = seen_among(current_user.id, [b.customer_id for b in bookings])
    return render("rep/flight.html", row=row, bookings=bookings, fact=fact, shown=shown)
