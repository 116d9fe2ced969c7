"""Who a rep calls about a lane, a card or a deal: chosen by lane, deal size and who is on duty."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask import current_app

from ..extensions import db
from ..plans.directory import ANY_MARKET, Contact, choose
from ..tables import Flight, IssuedCard, Lane, Quote


def large_deal() -> Decimal:
    return Decimal(str(current_app.config.get("LARGE_DEAL_USD", 2_000_000)))


def for_deal(lane: str, total: Decimal, below_floor: bool, now: datetime) -> Contact | None:
    """A large deal involves the lane's product manager; a price below the floor its pricing
    analyst; anyone off duty hands over to the on-call approver."""
    roles = ("product_manager",) if total > large_deal() else ()
    roles += ("pricing_analyst",) if below_floor or not roles else ()
    return choose("cargo", lane, roles, now)


def for_quote(quote: Quote, now: datetime) -> Contact | None:
    floor = (quote.guidance or {}).get("prices", {}).get("price.floor")
    below = floor is not None and quote.rate_per_kg < Decimal(str(floor))
    return for_deal(quote.lane.code, quote.total, below, now)


def for_lane(lane: str, now: datetime) -> Contact | None:
    """The lane's pricing analyst (else its product manager) on duty, else the on-call one."""
    return choose("cargo", lane, ("pricing_analyst", "product_manager"), now)


def for_card(card: IssuedCard, now: datetime) -> Contact | None:
    return for_lane(_lane_of(card), now)


def _lane_of(card: IssuedCard) -> str:
    if card.subject_type == "lane":
        lane = db.session.get(Lane, card.subject_id)
        return lane.code if lane else ANY_MARKET
    if card.subject_type == "flight":
        flight = db.session.get(Flight, card.subject_id)
        return flight.lane.code if flight else ANY_MARKET
    return ANY_MARKET  # a customer spans lanes: the business-wide people
