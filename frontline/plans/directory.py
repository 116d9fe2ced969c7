"""Who to call: the sales and marketing people behind each micro-market, and who is on duty."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..tables import DirectoryEntry, Lane, Zone

ROLES = {
    "product_manager": "Lane product manager",
    "pricing_analyst": "Pricing analyst",
    "zone_manager": "Zone manager",
    "on_call_approver": "On-call approver",
}
#: The roles each business uses (the on-call approver stands in for anyone off duty).
BUSINESS_ROLES = {
    "cargo": ("product_manager", "pricing_analyst", "on_call_approver"),
    "casino": ("zone_manager", "on_call_approver"),
}
ANY_MARKET = "*"
FIELDS = (
    "business", "market", "role", "name", "phone", "email", "duty_days", "duty_from", "duty_to",
)  # fmt: skip
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,24}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class EntryInvalid(ValueError):
    """The entry was not stored; `errors` says why, by field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Contact:
    """The person to call now, and why it is this person."""

    entry: DirectoryEntry
    why: str

    @property
    def role_label(self) -> str:
        return ROLES[self.entry.role]

    @property
    def tel(self) -> str:
        return "tel:" + _dial(self.entry.phone)

    @property
    def sms(self) -> str:
        return "sms:" + _dial(self.entry.phone)

    @property
    def mailto(self) -> str:
        return f"mailto:{self.entry.email}" if self.entry.email else ""


def _dial(phone: str) -> str:
    return re.sub(r"[^0-9+]", "", phone)


def on_duty(entry: DirectoryEntry, now: datetime) -> bool:
    """On the entry's weekdays between its hours (UTC); a shift past midnight counts the day
    it started."""
    start, end, hour = entry.duty_from, entry.duty_to, now.hour
    if start < end:
        return str(now.isoweekday()) in entry.duty_days and start <= hour < end
    yesterday = (now - timedelta(days=1)).isoweekday()
    return (str(now.isoweekday()) in entry.duty_days and hour >= start) or (
        str(yesterday) in entry.duty_days and hour < end
    )


def choose(business: str, market: str, roles: tuple[str, ...], now: datetime) -> Contact | None:
    """The first on-duty person in ROLES for the market (its own people before the business-wide
    ones); if none of them is on duty, the on-call approver."""
    entries = entries_for(business, market)
    for role in roles:
        wanted = [e for e in entries if e.role == role]
        on = next((e for e in wanted if on_duty(e, now)), None)
        if on is not None:
            return Contact(on, f"{ROLES[role]}, {_where(on)}")
        if wanted:
            fallback = _on_call(entries, now)
            if fallback is not None:
                off = wanted[0].name
                return Contact(fallback, f"{off} ({ROLES[role].lower()}) is off duty")
    fallback = _on_call(entries, now)
    return Contact(fallback, "On call now") if fallback is not None else None


def _on_call(entries: list[DirectoryEntry], now: datetime) -> DirectoryEntry | None:
    return next((e for e in entries if e.role == "on_call_approver" and on_duty(e, now)), None)


def _where(entry: DirectoryEntry) -> str:
    if entry.market != ANY_MARKET:
        return entry.market
    return "all lanes" if entry.business == "cargo" else "all zones"


def entries_for(business: str, market: str) -> list[DirectoryEntry]:
    """The market's own entries first, then the business-wide ones; by name within each."""
    query = select(DirectoryEntry).where(
        DirectoryEntry.business == business, DirectoryEntry.market.in_((market, ANY_MARKET))
    )
    found = db.session.scalars(query)
    return sorted(found, key=lambda e: (e.market == ANY_MARKET, e.name, e.id))


def everyone() -> list[DirectoryEntry]:
    query = select(DirectoryEntry).order_by(
        DirectoryEntry.business, DirectoryEntry.market, DirectoryEntry.role, DirectoryEntry.name
    )
    return list(db.session.scalars(query))


def save(form: dict, entry: DirectoryEntry | None = None) -> DirectoryEntry:
    """Check every field of FORM, then add or update the entry; nothing is written on an error."""
    values, errors = _checked(form)
    if errors:
        raise EntryInvalid(errors)
    entry = entry or DirectoryEntry()
    for name, value in values.items():
        setattr(entry, name, value)
    db.session.add(entry)
    db.session.commit()
    return entry


def remove(entry: DirectoryEntry) -> None:
    db.session.delete(entry)
    db.session.commit()


def _checked(form: dict) -> tuple[dict, dict[str, str]]:
    """The entry's columns from FORM, and what is wrong with them by field."""
    values = {name: (form.get(name) or "").strip() for name in FIELDS}
    errors: dict[str, str] = {}
    _check_business(values, errors)
    if not values["name"] or len(values["name"]) > 120:
        errors["name"] = "needed, at most 120 characters"
    if not PHONE.match(values["phone"]):
        errors["phone"] = f"{values['phone']!r} is not a phone number (digits, + ( ) - spaces)"
    if values["email"] and not EMAIL.match(values["email"]):
        errors["email"] = f"{values['email']!r} is not an e-mail address"
    values["duty_days"] = "".join(sorted(set(values["duty_days"])))
    if not values["duty_days"] or not set(values["duty_days"]) <= set("1234567"):
        errors["duty_days"] = "weekdays as digits, 1 = Monday to 7 = Sunday, e.g. 12345"
    for name in ("duty_from", "duty_to"):
        text = values[name]
        if text.isdigit() and 0 <= int(text) <= 24:
            values[name] = int(text)
        else:
            errors[name] = f"an hour from 0 to 24 (UTC), not {text!r}"
    if "duty_from" not in errors and values["duty_from"] == values["duty_to"]:
        errors["duty_to"] = "must differ from the start hour"
    return values, errors


def _check_business(values: dict, errors: dict[str, str]) -> None:
    business = values["business"]
    if business not in BUSINESS_ROLES:
        errors["business"] = f"must be cargo or casino, not {business!r}"
        return
    values["market"] = values["market"] or ANY_MARKET
    _check_market(business, values["market"], errors)
    if values["role"] not in BUSINESS_ROLES[business]:
        allowed = ", ".join(BUSINESS_ROLES[business])
        errors["role"] = f"for {business} one of {allowed}, not {values['role']!r}"


def _check_market(business: str, market: str, errors: dict[str, str]) -> None:
    if market == ANY_MARKET:
        return
    table = Lane if business == "cargo" else Zone
    if db.session.scalar(select(table.id).where(table.code == market)) is None:
        kind = "lane" if business == "cargo" else "zone"
        errors["market"] = f"no {kind} {market!r} (or * for every {kind})"
