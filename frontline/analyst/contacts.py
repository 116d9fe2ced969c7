"""An approval request names whom to involve: the lane's product manager on a large deal."""

from ..cargo import contacts
from ..tables import utcnow
from . import bp


@bp.context_processor
def plan_helpers() -> dict:
    return {"deal_contact": lambda quote: contacts.for_quote(quote, utcnow())}
