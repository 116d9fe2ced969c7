"""The rep's own micro-markets, and who to call: on "My market", the cards and the deal."""

from flask_login import current_user

from ..auth import role_required
from ..cargo import contacts
from ..cargo.markets import lane_market, lane_markets, rep_lane_ids
from ..rendering import render
from ..tables import Role, utcnow
from . import bp


@bp.get("/market")
@role_required(Role.REP)
def market():
    now = utcnow()
    markets = lane_markets(now, rep_lane_ids(current_user.id))
    return render(
        "rep/market.html",
        markets=markets,
        contacts={m.key: contacts.for_lane(m.key, now) for m in markets},
    )


@bp.context_processor
def plan_helpers() -> dict:
    """The rep's screens show the lane's market and who to call; each asks when it renders."""
    return {
        "lane_market": lambda code: lane_market(code, utcnow()) if code else None,
        "card_contact": lambda card: contacts.for_card(card, utcnow()),
        "deal_contact": lambda quote: contacts.for_quote(quote, utcnow()),
    }
