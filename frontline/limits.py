"""What any input may hold, from the API or a CSV file: days, instants, amounts and text in range.

Each check returns the clean value or raises ValueError saying what is allowed, so the API
(marshmallow) and the CSV readers report the same reason for the same bad value.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

#: Nothing Frontline keeps happened before 2000 or is planned after 2099; pandas and the
#: datetime column type both break far outside (year 1, year 9999).
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
#: Amounts above a trillion are a typo or an attack; Decimal would take 1E+1000000 happily.
MAX_DIGITS_BEFORE_POINT = 12

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def day(value: date) -> date:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValueError(f"{value.isoformat()} is not between {EARLIEST_DAY} and {LATEST_DAY}")
    return value


def instant(value: datetime) -> datetime:
    """An aware datetime in UTC, refused outside 2000..2099 (also where UTC would overflow)."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise ValueError(
            f"{value.isoformat()} is not between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC)"
        )
    return utc


def amount(value: Decimal, places: int) -> Decimal:
    """A finite number with at most `places` decimals and at most 12 digits before the point."""
    if not value.is_finite():
        raise ValueError("not a finite number")
    if value.adjusted() >= MAX_DIGITS_BEFORE_POINT:
        raise ValueError(f"more than {MAX_DIGITS_BEFORE_POINT} digits before the decimal point")
    if value.as_tuple().exponent < -places and value != value.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(f"at most {places} decimal places")
    return value


def text(value: str) -> str:
    """Text a database can store: PostgreSQL refuses NUL, and no database takes half a pair."""
    bad = _UNSTORABLE.search(value)
    if bad is None:
        return value
    if bad.group() == "\x00":
        raise ValueError("contains a NUL character (\\u0000)")
    raise ValueError(f"contains a lone surrogate (\\u{ord(bad.group()):04x}), not a character")
