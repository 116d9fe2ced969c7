"""Money in and out: accept float dollars or Decimal, return Decimal quantized to cents."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np
import pandas as pd

from models.errors import InvalidInputError

CENT = Decimal("0.01")


def to_float(values: pd.Series, name: str) -> np.ndarray:
    """Money column (float dollars or Decimal, NaN/None allowed) as float dollars."""
    if values.dtype == object:
        # Decimals (and None) arrive as objects; float() of a Decimal is exact to a cent here.
        try:
            return np.array([np.nan if v is None else float(v) for v in values], dtype=float)
        except (TypeError, ValueError, InvalidOperation) as exc:
            raise InvalidInputError(f"column {name!r} must hold money amounts: {exc}") from exc
    try:
        return values.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"column {name!r} must hold money amounts: {exc}") from exc


def to_decimal(value: float | Decimal | int) -> Decimal:
    """One amount in dollars as a Decimal quantized to cents (half up)."""
    if isinstance(value, Decimal):
        return value.quantize(CENT, rounding=ROUND_HALF_UP)
    # Via repr so 0.1 becomes Decimal("0.1"), not its binary expansion.
    return Decimal(repr(float(value))).quantize(CENT, rounding=ROUND_HALF_UP)


def cents_to_decimal(cents: int) -> Decimal:
    """Whole cents as an exact Decimal amount in dollars."""
    return Decimal(int(cents)).scaleb(-2).quantize(CENT)


def decimals(values: np.ndarray) -> list[Decimal | None]:
    """Float dollars as a list of cent Decimals (NaN becomes None)."""
    return [None if np.isnan(v) else to_decimal(v) for v in np.asarray(values, dtype=float)]
