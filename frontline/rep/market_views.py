"""The rep's own micro-markets, and who to call: on "My market", the cards and the deal."""

from flask import request
from flask_login import current_user
from sqlalchemy import select

from ..auth import role_required
from ..cargo import contacts
from ..cargo.markets import lane_markets, rep_lane_ids
from ..extensions import db
from ..rendering import render
from ..tables import Lane, Role, utcnow
from . import bp


@bp.get("/market")
@role_required(Role.REP)
def market():
    """The rep's lanes; with ?lane=CODE that lane alone (htmx: its one-line summary, which the
    quote and the deal load after they show, so they answer as fast as before)."""
    now, code = utcnow(), request.args.get("lane", "")
    ids = db.session.scalars(select(Lane.id).where(Lane.code == code)).all() if code else None
    markets = lane_markets(now, ids if code else rep_lane_ids(current_user.id))
    return render(
        "rep/market.html", block="line", markets=markets, lane=code,
        contacts={m.key: contacts.for_lane(m.key, now) for m in markets},
    )  # fmt: skip


@bp.context_processor
def plan_helpers() -> dict:
    """The rep's screens show who to call; each asks when it renders."""
    return {
        "card_contact": lambda card: contacts.for_card(card, utcnow()),
        "deal_contact": lambda quote: contacts.for_quote(quote, utcnow()),
    }
