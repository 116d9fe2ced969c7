"""Database tables. The analytic models live in the top-level `models` package."""

from .approvals import Approval, ApprovalStatus
from .cargo import (
    Booking,
    CompetitorOffer,
    Customer,
    CustomerTier,
    Flight,
    Lane,
    LostReason,
    Quote,
    QuoteOutcome,
)
from .guidance import CardAction, CardStatus, Event, GuidanceCard
from .casino import Guest, GuestOffer, GuestTier, OfferType, Visit, Zone
from .facts import FactValue
from .people import ApiToken, LoginAttempt, Role, Shift, User, UserSession
from .types import Fixed, Money, UTCDateTime, utcnow

__all__ = [
    "ApiToken",
    "Approval",
    "ApprovalStatus",
    "CardAction",
    "CardStatus",
    "Event",
    "GuidanceCard",
    "Booking",
    "CompetitorOffer",
    "Customer",
    "CustomerTier",
    "FactValue",
    "Fixed",
    "Flight",
    "Guest",
    "GuestOffer",
    "GuestTier",
    "Lane",
    "LoginAttempt",
    "LostReason",
    "Money",
    "OfferType",
    "Quote",
    "QuoteOutcome",
    "Role",
    "Shift",
    "UTCDateTime",
    "User",
    "UserSession",
    "Visit",
    "Zone",
    "utcnow",
]
