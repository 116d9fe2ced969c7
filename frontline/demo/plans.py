"""The demo's local plan: who to call behind each lane and zone, and first targets."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Integer, func, select, type_coerce

from ..extensions import db
from ..plans.markets import PERIOD_DAYS
from ..tables import Booking, DirectoryEntry, Flight, Guest, Lane, MarketTarget, User, Visit

#: (name, phone, lanes) of the cargo product managers; each looks after a region's lanes.
PRODUCT_MANAGERS = (
    ("Henrike Baumgartner-Oyelaran", "+49 69 5500 2101", ("FRA-ORD", "FRA-JFK", "FRA-GRU")),
    ("Wei Zhang", "+852 2100 4410", ("FRA-PVG", "FRA-HKG", "HKG-FRA", "PVG-FRA")),
    ("Amara Nwosu", "+49 69 5500 2140", ("FRA-DXB", "FRA-SIN", "FRA-NBO")),
)
#: (name, phone, duty from, duty to): pricing analysts for every lane, in two shifts (UTC).
PRICING = (("Jonas Richter", "+49 69 5500 2202", 6, 14), ("Elif Demir", "+49 69 5500 2203", 14, 22))
#: (name, phone, zones, from, to): the casino's zone managers.
ZONE_MANAGERS = (
    (
        "Marco Bellini",
        "+1 702 555 0141",
        ("main_floor", "high_limit", "poker_room", "sportsbook"),
        8,
        20,
    ),
    (
        "Grace Okoye",
        "+1 702 555 0142",
        ("main_floor", "high_limit", "poker_room", "sportsbook"),
        20,
        8,
    ),
    (
        "Hélène Dubois",
        "+1 702 555 0143",
        ("steakhouse", "noodle_bar", "buffet", "showroom"),
        10,
        22,
    ),
    ("Tariq Aziz", "+1 702 555 0144", ("spa", "hotel_lobby", "pool"), 7, 19),
)
ON_CALL = {"cargo": ("Cargo duty desk (Nadia Petrova)", "+49 69 5500 2999"),
           "casino": ("Casino duty manager", "+1 702 555 0199")}  # fmt: skip
#: First targets: ours over the last period, raised by this much.
UPLIFT = Decimal("1.10")


def directory_rows() -> list[dict]:
    rows = [
        _row("cargo", lane, "product_manager", name, phone, "12345", 5, 21)
        for name, phone, lanes in PRODUCT_MANAGERS
        for lane in lanes
    ]
    rows += [
        _row("cargo", "*", "pricing_analyst", name, phone, "1234567", start, end)
        for name, phone, start, end in PRICING
    ]
    rows += [
        _row("casino", zone, "zone_manager", name, phone, "1234567", start, end)
        for name, phone, zones, start, end in ZONE_MANAGERS
        for zone in zones
    ]
    rows += [
        _row(business, "*", "on_call_approver", name, phone, "1234567", 0, 24)
        for business, (name, phone) in ON_CALL.items()
    ]
    return rows


def _row(business, market, role, name, phone, days, start, end) -> dict:
    email = name.split("(")[-1].strip(")").lower().replace(" ", ".") + "@demo.test"
    return {
        "business": business, "market": market, "role": role, "name": name, "phone": phone,
        "email": email, "duty_days": days, "duty_from": start, "duty_to": end,
    }  # fmt: skip


def seed(now: datetime) -> None:
    """Directory entries, and targets: the analyst set one for each lane and the busiest casino
    markets a week ago, the rep lead raised the first lane's yesterday (its history shows two)."""
    db.session.execute(db.insert(DirectoryEntry), directory_rows())
    analyst = User.by_email("analyst@demo.test")
    lead = User.by_email("clara.jensen@demo.test")
    rows = [
        _target(business, market, _round(amount * UPLIFT), analyst, now - timedelta(days=7))
        for business, market, amount in [*_lane_revenue(now), *_zone_tier_play(now)]
        if amount
    ]
    if rows:
        first = rows[0]
        raised = first["amount"] * Decimal("1.05")
        note = "Raised after the Q3 review"
        at = now - timedelta(days=1)
        rows.append({**first, "amount": raised, "set_by_id": lead.id, "set_at": at, "note": note})
    db.session.execute(db.insert(MarketTarget), rows)


def _round(amount: Decimal) -> Decimal:
    return (amount / 1000).quantize(Decimal(1)) * 1000


def _lane_revenue(now: datetime) -> list[tuple[str, str, Decimal]]:
    """Roughly what each lane booked over the last 90 days (actual kg, not chargeable)."""
    query = (
        select(Lane.code, func.sum(Booking.weight_kg * type_coerce(Booking.rate_per_kg, Integer)))
        .join(Flight, Flight.lane_id == Lane.id)
        .join(Booking, Booking.flight_id == Flight.id)
        .where(Booking.booked_at > now - timedelta(days=PERIOD_DAYS), Booking.booked_at <= now)
        .group_by(Lane.code)
        .order_by(Lane.code)
    )
    return [
        ("cargo", code, Decimal(int(cents or 0)) / 100) for code, cents in db.session.execute(query)
    ]


def _zone_tier_play(now: datetime, top: int = 8) -> list[tuple[str, str, Decimal]]:
    """The casino's busiest zone and tier markets over the last 90 days."""
    played = func.sum(type_coerce(Visit.theo_win, Integer))
    query = (
        select(Visit.zone, Guest.tier, played)
        .join(Guest, Guest.id == Visit.guest_id)
        .where(Visit.visit_date > now.date() - timedelta(days=PERIOD_DAYS))
        .group_by(Visit.zone, Guest.tier)
        .order_by(played.desc())
        .limit(top)
    )
    return [
        ("casino", f"{zone}/{tier}", Decimal(int(cents or 0)) / 100)
        for zone, tier, cents in db.session.execute(query)
    ]


def _target(business: str, market: str, amount: Decimal, user: User, at: datetime) -> dict:
    return {
        "business": business, "market": market, "amount": amount,
        "note": "Last period plus 10%", "set_by_id": user.id, "set_at": at,
    }  # fmt: skip
