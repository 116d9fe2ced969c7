"""Targets per micro-market, set by the analyst or the sales lead; every edit is kept."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..tables import GuestTier, Lane, MarketTarget, User, Zone, utcnow

BUSINESSES = ("cargo", "casino")
#: The business each sales team's lead plans (by the pack they sign off).
TEAM_BUSINESS = {"rep": "cargo", "host": "casino"}
MAX_TARGET = Decimal("1000000000.00")
NOTE_LENGTH = 200


class TargetInvalid(ValueError):
    """The target was not stored; `errors` says why, by field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def may_set(user: User) -> bool:
    """Marketing's analysts and the sales leads set targets together."""
    return bool(businesses_of(user))


def businesses_of(user: User) -> tuple[str, ...]:
    """An analyst plans both businesses; a sales lead plans their own team's."""
    if user.role.value == "analyst":
        return BUSINESSES
    team = TEAM_BUSINESS.get(user.signs_off or "")
    return (team,) if team else ()


def set_target(business: str, market: str, amount: str, note: str, user: User) -> MarketTarget:
    """Check every field, then store a new target row (the old ones stay as history)."""
    errors = market_errors(business, market)
    value = _amount(amount, errors)
    note = (note or "").strip()
    if len(note) > NOTE_LENGTH:
        errors["note"] = f"at most {NOTE_LENGTH} characters (this one has {len(note)})"
    if business in BUSINESSES and business not in businesses_of(user):
        errors["business"] = f"{user.display_name} does not plan the {business} business"
    if errors:
        raise TargetInvalid(errors)
    target = MarketTarget(
        business=business, market=market, amount=value, note=note, set_by_id=user.id,
        set_at=utcnow(),
    )  # fmt: skip
    db.session.add(target)
    db.session.commit()
    return target


def market_errors(business: str, market: str) -> dict[str, str]:
    if business not in BUSINESSES:
        return {"business": f"must be one of {', '.join(BUSINESSES)}, not {business!r}"}
    if business == "cargo":
        known = db.session.scalar(select(Lane.id).where(Lane.code == market))
        return {} if known else {"market": f"no lane {market!r}"}
    zone, _, tier = market.partition("/")
    if tier not in set(GuestTier):
        return {"market": f"{market!r} is not zone/tier (tier one of {', '.join(GuestTier)})"}
    known = db.session.scalar(select(Zone.id).where(Zone.code == zone))
    return {} if known else {"market": f"no zone {zone!r}"}


def _amount(text: str, errors: dict[str, str]) -> Decimal | None:
    try:
        value = Decimal((text or "").replace(",", "").replace("$", "").strip())
    except InvalidOperation:
        errors["amount"] = f"{text!r} is not an amount in dollars"
        return None
    if not value.is_finite() or value < 0:
        errors["amount"] = f"must be zero or more, not {text}"
    elif value > MAX_TARGET:
        errors["amount"] = f"at most {MAX_TARGET:,} dollars"
    elif value != value.quantize(Decimal("0.01")):
        errors["amount"] = "at most two decimal places (cents)"
    return value


def current(business: str) -> dict[str, MarketTarget]:
    """Each market's newest target, with who set it."""
    newest = (
        select(func.max(MarketTarget.id))
        .where(MarketTarget.business == business)
        .group_by(MarketTarget.market)
    )
    query = (
        select(MarketTarget)
        .options(joinedload(MarketTarget.set_by))
        .where(MarketTarget.id.in_(newest))
    )
    return {t.market: t for t in db.session.scalars(query)}


def history(business: str, market: str, limit: int = 20) -> list[MarketTarget]:
    """Every target the market has had, newest first."""
    query = (
        select(MarketTarget)
        .options(joinedload(MarketTarget.set_by))
        .where(MarketTarget.business == business, MarketTarget.market == market)
        .order_by(MarketTarget.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def histories(business: str, per_market: int = 10) -> dict[str, list[MarketTarget]]:
    """Every market's targets, newest first (at most PER_MARKET each), in one query."""
    query = (
        select(MarketTarget)
        .options(joinedload(MarketTarget.set_by))
        .where(MarketTarget.business == business)
        .order_by(MarketTarget.id.desc())
    )
    found: dict[str, list[MarketTarget]] = {}
    for target in db.session.scalars(query):
        rows = found.setdefault(target.market, [])
        if len(rows) < per_market:
            rows.append(target)
    return found
