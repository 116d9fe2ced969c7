"""The analyst's overview of the data the rules and models stand on."""

from sqlalchemy import func, select

from ..auth import role_required
from ..extensions import db
from ..rendering import render
from ..tables import Customer, Flight, Guest, Quote, Role, Visit
from . import bp


@bp.get("/")
@role_required(Role.ANALYST)
def home():
    counts = {
        label: db.session.scalar(select(func.count()).select_from(table))
        for label, table in [
            ("Guests", Guest),
            ("Visits", Visit),
            ("Shippers", Customer),
            ("Flights", Flight),
            ("Quotes", Quote),
        ]
    }
    return render("analyst/home.html", counts=counts)
