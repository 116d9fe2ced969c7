"""One micro-market's potential against what we actually got, with its trend and target."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from ..sparklines import sparkline
from ..tables import MarketTarget

#: Potential, actual and targets are all for the last (or next) 90 days: one plan period.
PERIOD_DAYS = 90
#: The trend compares the last 4 weeks with the 4 before; the sparkline shows all 8.
WEEKS = 8


@dataclass(frozen=True)
class Market:
    business: str
    key: str  # lane code, or "zone/tier"
    label: str
    potential: Decimal | None  # estimated spend in the market over a period; None: not scored
    actual: Decimal  # ours over the last period
    weekly: tuple[Decimal, ...]  # ours per week, oldest first
    target: MarketTarget | None = None

    @property
    def share(self) -> float | None:
        if not self.potential:
            return None
        return float(self.actual / self.potential)

    @property
    def trend(self) -> float | None:
        """The last 4 weeks against the 4 before, as a change (+0.12 = 12% more)."""
        half = len(self.weekly) // 2
        before, after = sum(self.weekly[:half]), sum(self.weekly[half:])
        return float(after / before - 1) if before else None

    @property
    def spark_points(self) -> str:
        return sparkline(list(self.weekly))

    @property
    def progress(self) -> float | None:
        """How far the actual is towards the target."""
        if self.target is None or not self.target.amount:
            return None
        return float(self.actual / self.target.amount)


def week_edges(now: datetime) -> list[tuple[datetime, datetime]]:
    """(start, end] of each of the last WEEKS weeks, oldest first."""
    return [(now - timedelta(weeks=k), now - timedelta(weeks=k - 1)) for k in range(WEEKS, 0, -1)]


def with_targets(markets: list[Market], targets: dict[str, MarketTarget]) -> list[Market]:
    return [
        Market(m.business, m.key, m.label, m.potential, m.actual, m.weekly, targets.get(m.key))
        for m in markets
    ]
