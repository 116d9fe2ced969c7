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
from .casino import Guest, GuestOffer, GuestTier, OfferType, Visit, Zone
from .facts import FactValue
from .guidance import CardAction, CardStatus, Event, IssuedCard
from .packs import Evaluation, EvaluationColumns, PackChange, PackVersion, RulePack
from .people import ApiToken, LoginAttempt, Role, Shift, User, UserSession
from .types import Fixed, Money, UTCDateTime, utcnow

__all__ = [
    "ApiToken",
    "Approval",
    "ApprovalStatus",
    "Booking",
    "CardAction",
    "CardStatus",
    "CompetitorOffer",
    "Customer",
    "CustomerTier",
    "Evaluation",
    "EvaluationColumns",
    "Event",
    "FactValue",
    "Fixed",
    "Flight",
    "Guest",
    "GuestOffer",
    "GuestTier",
    "IssuedCard",
    "Lane",
    "LoginAttempt",
    "LostReason",
    "Money",
    "OfferType",
    "PackChange",
    "PackVersion",
    "Quote",
    "QuoteOutcome",
    "Role",
    "RulePack",
    "Shift",
    "UTCDateTime",
    "User",
    "UserSession",
    "Visit",
    "Zone",
    "utcnow",
]
