"""Template filters that show numbers the way people on the floor read them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask import Flask

from .tables import utcnow


def money(value: Decimal | float | None, cents: bool = False) -> str:
    if value is None:
        return "—"
    return f"${value:,.2f}" if cents else f"${value:,.0f}"


def money_short(value: Decimal | float | None) -> str:
    """$39.6M, $840k, $950: large amounts that fit a phone's tile."""
    if value is None:
        return "—"
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if abs(value) >= size:
            return f"${float(value) / size:,.1f}{suffix}"
    return f"${value:,.0f}"


def percent(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value * 100:+.0f}%" if signed else f"{value * 100:.0f}%"


def ago(when: datetime | None) -> str:
    if when is None:
        return ""
    seconds = int((utcnow() - when).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return when.strftime("%d %b")


def label(value: str | None) -> str:
    """`room_upgrade` -> `Room upgrade`."""
    return "" if not value else value.replace("_", " ").capitalize()


def width(value: float | None) -> str:
    """A bar's fill as a class (`w-42`): the CSP allows no inline style, app.css has w-0..w-100."""
    whole = 0 if value is None else round(float(value))
    return f"w-{min(100, max(0, whole))}"


# >>> screens (issue 14)
def cubic_metres(value: Decimal | float | None) -> str:
    """As people say a volume: whole m³ from 10 up, one decimal below."""
    if value is None:
        return "—"
    return f"{value:,.0f} m³" if abs(value) >= 10 else f"{value:,.1f} m³".replace(".0 ", " ")


# <<< screens


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        money=money, money_short=money_short, percent=percent, ago=ago, label=label, width=width
    )
    # >>> screens (issue 14): words people read for statuses and "why this card"
    from .guidance.actions import STATUS_WORDS
    from .guidance.explain import why_sentences

    app.jinja_env.filters.update(status_words=STATUS_WORDS.get, m3=cubic_metres)
    app.jinja_env.globals.update(why_sentences=why_sentences)
    # Times on the floor are the resort's wall clock (FRONTLINE_TIMEZONE), stored in UTC.
    from .casino.shifts import local

    app.jinja_env.globals.update(local=local)
    # <<< screens
