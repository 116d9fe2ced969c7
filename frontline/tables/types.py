"""Column types that keep money and measures exact on every database."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.types import TypeDecorator


class Fixed(TypeDecorator):
    """A Decimal with a fixed number of places, stored as a scaled integer.

    SQLite has no exact decimal type, so money is kept in minor units (cents)
    and handed back as Decimal: no binary float ever touches a stored amount.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, places: int = 2) -> None:
        super().__init__()
        self.places = places
        self.quantum = Decimal(1).scaleb(-places)

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        try:
            exact = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        except (InvalidOperation, TypeError) as exc:
            raise ValueError(f"{value!r} is not a number") from exc
        if exact != exact.quantize(self.quantum):
            raise ValueError(f"{value} has more than {self.places} decimal places")
        return int(exact.scaleb(self.places))

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value).scaleb(-self.places)


class Money(Fixed):
    """An amount of US dollars stored in cents."""

    cache_ok = True

    def __init__(self) -> None:
        super().__init__(2)


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every database (SQLite forgets the zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"{value} has no time zone; store aware UTC datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)
