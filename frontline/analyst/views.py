"""The analyst's screens: the data behind the rules, the published rules, the models."""

from sqlalchemy import func, select

from ..auth import role_required
from ..cargo import approvals
from ..extensions import db
from ..guidance.packs import published_packs
from ..rendering import render
from ..scoring.store import model_cards
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
    return render(
        "analyst/home.html", counts=counts, packs=published_packs(),
        waiting=len(approvals.pending(approvals.approver_role())),
    )  # fmt: skip


@bp.get("/rules")
@role_required(Role.ANALYST)
def rules():
    return render("analyst/rules.html", packs=published_packs())


@bp.get("/models")
@role_required(Role.ANALYST)
def models():
    return render("analyst/models.html", cards=model_cards())
