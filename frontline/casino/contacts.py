"""Who a host calls about a guest's card: the zone's manager on duty, else the on-call approver."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ..plans.directory import ANY_MARKET, Contact, choose
from ..tables import Guest, IssuedCard


def for_card(card: IssuedCard, guest: Guest | None, now: datetime) -> Contact | None:
    zone = (guest.current_zone if guest else None) or ANY_MARKET
    return choose("casino", zone, ("zone_manager",), now)


def needs_help(card: IssuedCard, authority: Decimal | None) -> bool:
    """An escalated card, or an offer beyond the host's comp authority."""
    value = (card.offer or {}).get("max_value")
    over = value is not None and authority is not None and float(value) > float(authority)
    return card.escalation_level > 0 or over
