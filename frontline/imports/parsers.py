"""Cell parsers: each returns a typed value or raises ValueError saying what was expected."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .. import limits


def text(max_length: int = 200) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if len(value) > max_length:
            raise ValueError(f"longer than {max_length} characters")
        return value

    return parse


def choice(options: Iterable[str]) -> Callable[[str], str]:
    allowed = tuple(options)

    def parse(value: str) -> str:
        if value.lower() not in allowed:
            raise ValueError(f"{value!r} is not one of {', '.join(allowed)}")
        return value.lower()

    return parse


def iso_date(value: str) -> date:
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date like 2026-11-23") from None
    return limits.day(parsed)


def aware_datetime(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date-time like 2026-11-23T18:30:00Z") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone (add Z or +01:00)")
    return limits.instant(parsed)


def money(maximum: Decimal = Decimal(10**9)) -> Callable[[str], Decimal]:
    def parse(value: str) -> Decimal:
        try:
            amount = Decimal(value.replace(",", "").removeprefix("$"))
        except InvalidOperation:
            raise ValueError(f"{value!r} is not an amount like 1234.50") from None
        limits.amount(amount, 2)
        if not Decimal(0) <= amount <= maximum:
            raise ValueError(f"{value} is outside 0 to {maximum:,}")
        return amount

    return parse


def integer(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a whole number") from None
        if not low <= number <= high:
            raise ValueError(f"{number} is outside {low} to {high}")
        return number

    return parse


def boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "yes", "1", "y"):
        return True
    if lowered in ("false", "no", "0", "n"):
        return False
    raise ValueError(f"{value!r} is not yes/no (true/false)")


def tags(value: str) -> list[str]:
    """A list in one cell, separated by semicolons: `steak; sushi`."""
    items = [item.strip().lower() for item in value.split(";") if item.strip()]
    if len(items) > 20 or any(len(i) > 40 for i in items):
        raise ValueError("at most 20 items of 40 characters, separated by ;")
    return items


def email(value: str) -> str:
    if "@" not in value or " " in value:
        raise ValueError(f"{value!r} is not an e-mail address")
    return value.lower()


def known(lookup: dict[str, Any], what: str, fold: bool = False) -> Callable[[str], Any]:
    """A reference to something that must already exist (a host, a guest, a zone)."""

    def parse(value: str) -> Any:
        key = value.lower() if fold else value
        if key not in lookup:
            raise ValueError(f"unknown {what} {value!r}")
        return lookup[key]

    return parse
