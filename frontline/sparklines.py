"""Points for a small SVG line (a sparkline), shared by every screen that draws one."""

from __future__ import annotations

from decimal import Decimal


def sparkline(values: list[Decimal], width: int = 120, height: int = 28) -> str:
    """SVG polyline points for VALUES, oldest first, scaled to the largest."""
    if len(values) < 2:
        return ""
    top = max(values) or Decimal(1)
    step = width / (len(values) - 1)
    return " ".join(
        f"{i * step:.1f},{height - float(v / top) * (height - 2) - 1:.1f}"
        for i, v in enumerate(values)
    )
