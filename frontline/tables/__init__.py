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
from .people import (
    ApiToken,
    LoginAttempt,
    PasswordLink,
    PersonChange,
    PushSubscription,
    Role,
    Shift,
    User,
    UserSession,
)
from .plans import DirectoryEntry, MarketTarget
from .scoreboard import HeldOutCard, UpliftObservation
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
    "DirectoryEntry",
    "Evaluation",
    "EvaluationColumns",
    "Event",
    "FactValue",
    "Fixed",
    "Flight",
    "Guest",
    "GuestOffer",
    "GuestTier",
    "HeldOutCard",
    "IssuedCard",
    "Lane",
    "LoginAttempt",
    "LostReason",
    "MarketTarget",
    "Money",
    "OfferType",
    "PackChange",
    "PackVersion",
    "PasswordLink",
    "PersonChange",
    "PushSubscription",
    "Quote",
    "QuoteOutcome",
    "Role",
    "RulePack",
    "Shift",
    "UTCDateTime",
    "UpliftObservation",
    "User",
    "UserSession",
    "Visit",
    "Zone",
    "utcnow",
]
