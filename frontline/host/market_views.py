"""The host's own micro-markets (zones and tiers of the host's guests), and who to call."""

from flask_login import current_user

from ..auth import role_required
from ..casino import contacts
from ..casino.markets import host_keys, zone_tier_markets
from ..rendering import render
from ..tables import Role, utcnow
from . import bp


@bp.get("/market")
@role_required(Role.HOST)
def market():
    now = utcnow()
    markets = zone_tier_markets(now, host_keys(current_user.id, now))
    return render("host/market.html", markets=markets)


@bp.context_processor
def plan_helpers() -> dict:
    """An escalated card (or an offer beyond the host's authority) names whom to call."""

    def card_contact(card, guest):
        if not contacts.needs_help(card, current_user.comp_authority):
            return None
        return contacts.for_card(card, guest, utcnow())

    return {"card_contact": card_contact}
