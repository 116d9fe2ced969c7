"""Cards: what a fired rule shows, with placeholders filled from facts, formatted by type and unit.

Templates hold text and `{fact.name}` placeholders only (`{{` and `}}` for braces); there is no
template logic. The output is plain text: the web layer escapes it like any other text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import RuleSyntaxError, UnknownFactError, did_you_mean
from .vocabulary import Fact, Vocabulary

HEADLINE_LIMIT = 80
DETAIL_LIMIT = 120
PLACEHOLDER_WIDTH = 10  # the width a filled placeholder is assumed to take
VALUE_LIMIT = 60  # characters of one string fact shown on a card
MISSING = "—"
CURRENCY = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
UNIT_WORDS = {"d": "days", "h": "h", "kg": "kg", "m3": "m³"}
_FACT_NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


@dataclass(frozen=True)
class Template:
    """A parsed card text: literal parts and fact names, alternating."""

    source: str
    parts: tuple[str | Fact, ...]

    def __post_init__(self) -> None:
        # Set here rather than as a cached property: rendering reads it for every card.
        names = tuple(part.name for part in self.parts if isinstance(part, Fact))
        object.__setattr__(self, "_names", names)

    def render(self, facts: Mapping[str, Any]) -> str:
        if not self._names:
            return self.source.replace("{{", "{").replace("}}", "}")
        get = facts.get
        return "".join(
            part if part.__class__ is str else format_value(part, get(part.name))
            for part in self.parts
        )

    def complete(self, facts: Mapping[str, Any]) -> bool:
        """Whether every fact the template shows is present (detail lines need all of theirs)."""
        get = facts.get
        return all(get(name) is not None for name in self._names)

    @property
    def facts(self) -> list[str]:
        return [part.name for part in self.parts if isinstance(part, Fact)]


def parse_template(text: str, vocabulary: Vocabulary, limit: int) -> Template:
    """Parse `Welcome back, {guest.name}`; refuses anything but fact names in braces.

    The length limit applies to the text as shown, counting each placeholder as
    PLACEHOLDER_WIDTH characters; longer rendered text is cut with an ellipsis.
    """
    if len(text) > 4 * limit:
        raise RuleSyntaxError(
            f"this text is far over the {limit}-character limit", span=(0, len(text))
        )
    parts: list[str | Fact] = []
    width = last = 0  # width: the text's length as shown, placeholders counted as above
    for match in _PLACEHOLDER.finditer(text):
        start, end = match.span()
        if start > last:
            parts.append(text[last:start])
            width += start - last
        last = end
        token = match.group()
        if token == "{{" or token == "}}":
            parts.append(token[0])
            width += 1
            continue
        name = (match.group(1) or "").strip()  # no group for a lone brace
        if not _FACT_NAME.fullmatch(name):
            raise RuleSyntaxError(
                "placeholders are fact names in braces, e.g. {guest.name}; "
                "write {{ or }} for a brace",
                span=(start, end),
            )
        fact = vocabulary.facts.get(name)
        if fact is None:
            raise UnknownFactError(
                f"unknown fact `{name}`{did_you_mean(name, vocabulary.facts)}",
                span=(start + 1, end - 1),
            )
        parts.append(fact)
        width += PLACEHOLDER_WIDTH
    if last < len(text):
        parts.append(text[last:])
        width += len(text) - last
    template = Template(text, tuple(parts))
    if width > limit:
        raise RuleSyntaxError(
            f"this text is about {width} characters as shown (a placeholder counts as "
            f"{PLACEHOLDER_WIDTH}); the limit is {limit}",
            span=(0, len(text)),
        )
    return template


def format_value(fact: Fact, value: Any) -> str:
    """A fact value as a person reads it: $1,234.50, 87%, 1,200 kg, Mar 1, 2025."""
    if value is None or value != value:  # missing, or NaN
        return MISSING
    formatter = _FORMATTERS.get(fact.type, _format_text)
    try:
        return formatter(fact, value)
    except (TypeError, ValueError, ArithmeticError, AttributeError):
        return _format_text(fact, value)


def _format_money(fact: Fact, value: Any) -> str:
    amount = value if isinstance(value, Decimal) else Decimal(repr(value))
    code, _, per = (fact.unit or "USD").partition("/")
    text = f"{abs(amount):,.2f}"
    if amount != round(amount, 2):  # rates per kg may carry fractions of a cent
        text = f"{abs(amount):,.4f}"
        text = text[:-2] + text[-2:].rstrip("0")
    symbol = CURRENCY.get(code)
    text = f"{symbol}{text}" if symbol else f"{code} {text}"
    return ("-" if amount < 0 else "") + text + (f"/{per}" if per else "")


def _format_percent(fact: Fact, value: Any) -> str:
    points = Decimal(repr(float(value))) * 100
    shown = round(points) if points == round(points) else round(points, 1)
    return f"{shown}%"


def _format_number(fact: Fact, value: Any) -> str:
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if fact.unit in SAID_ROUNDED:
        return SAID_ROUNDED[fact.unit](number)
    if number == round(number):
        text = f"{number:,.0f}"
    else:
        text = f"{round(number, 2):,f}".rstrip("0").rstrip(".")
    unit = UNIT_WORDS.get(fact.unit or "", fact.unit)
    return f"{text} {unit}" if unit else text


def _say_days(days: Decimal) -> str:
    """As people say a wait: "1 h" under a day, else days to the half day ("2.5 days")."""
    if abs(days) < 1:
        return f"{max(1, round(days * 24))} h"
    halves = round(days * 2) / 2
    shown = f"{halves:,.1f}".removesuffix(".0")
    return f"{shown} day" if shown == "1" else f"{shown} days"


def _say_volume(m3: Decimal) -> str:
    """Whole cubic metres from 10 up ("97 m³"), one decimal below ("2.5 m³")."""
    shown = f"{m3:,.0f}" if abs(m3) >= 10 else f"{m3:,.1f}".removesuffix(".0")
    return f"{shown} m³"


#: Units read out rounded, the way people say them.
SAID_ROUNDED = {"d": _say_days, "m3": _say_volume}


def _format_date(fact: Fact, value: Any) -> str:
    return f"{value:%b} {value.day}, {value.year}"


def _format_datetime(fact: Fact, value: Any) -> str:
    return f"{value:%b} {value.day}, {value:%H:%M}"


def _format_duration(fact: Fact, value: Any) -> str:
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [
        f"{days} d" if days else "",
        f"{hours} h" if hours else "",
        f"{minutes} min" if minutes else "",
    ]
    return " ".join(p for p in parts if p) or "0 min"


def _format_list(fact: Fact, value: Any) -> str:
    return _clean(", ".join(str(item) for item in value))


def _format_boolean(fact: Fact, value: Any) -> str:
    return "yes" if value is True else "no" if value is False else _clean(str(value))


def _format_text(fact: Fact, value: Any) -> str:
    return _clean(str(value))


def _clean(text: str) -> str:
    """One line of printable text: control characters become spaces; long values are cut."""
    if text.isprintable():
        text = text.strip()
    else:
        text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text).strip()
    return text if len(text) <= VALUE_LIMIT else text[: VALUE_LIMIT - 1] + "…"


_FORMATTERS = {
    "money": _format_money,
    "percent": _format_percent,
    "number": _format_number,
    "integer": _format_number,
    "date": _format_date,
    "datetime": _format_datetime,
    "duration": _format_duration,
    "list": _format_list,
    "boolean": _format_boolean,
}


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Offer:
    """An offer a card proposes: its type, the text shown, and the most it may be worth."""

    type: str
    description: str
    max_value: Decimal | None = None


CARD_FIELDS = (
    "rule_id",
    "rule_title",
    "pack_id",
    "pack_version",
    "audience",
    "priority",
    "headline",
    "details",
    "actions",
    "offer",
    "facts_read",
    "cooldown",
    "cooldown_key",
)
_DEFAULTS: dict[str, Any] = {"details": list, "actions": list, "facts_read": dict}


def _field(name: str) -> property:
    def get(card: Card) -> Any:
        try:
            cache = card._cache
        except AttributeError:  # a lazy card read for the first time
            cache = card._cache = {}
        if name not in cache:
            cache[name] = card._plan.value(name, card)
        return cache[name]

    def put(card: Card, value: Any) -> None:
        get(card)  # the cache exists (and a lazy card's other fields are unaffected)
        card._cache[name] = value

    return property(get, put, doc=f"The card's `{name}`.")


class Card:
    """One piece of guidance for one person, with everything needed to say why it exists.

    `evaluate` makes cards whose text (headline, details, offer, facts_read) is rendered on
    first access from the values the rule saw, so a card nobody reads costs almost nothing.
    Constructed directly, a card simply holds the values it is given.
    """

    __slots__ = ("_cache", "_facts", "_plan")

    def __init__(
        self,
        rule_id: str,
        rule_title: str,
        pack_id: str,
        pack_version: str,
        audience: str,
        priority: int,
        headline: str,
        details: list[str] | None = None,
        actions: list[str] | None = None,
        offer: Offer | None = None,
        facts_read: dict[str, Any] | None = None,
        cooldown: str | None = None,  # e.g. "visit", "7d", "once"
        cooldown_key: str | None = None,  # record `history[cooldown_key] = now` when shown
    ):
        self._plan = None
        self._facts = None
        self._cache = {
            "rule_id": rule_id,
            "rule_title": rule_title,
            "pack_id": pack_id,
            "pack_version": pack_version,
            "audience": audience,
            "priority": priority,
            "headline": headline,
            "details": [] if details is None else details,
            "actions": [] if actions is None else actions,
            "offer": offer,
            "facts_read": {} if facts_read is None else facts_read,
            "cooldown": cooldown,
            "cooldown_key": cooldown_key,
        }

    @classmethod
    def lazy(cls, plan: Any, facts: dict[str, Any]) -> Card:
        """A card rendered on demand by `plan.value(field, card)` from a snapshot of facts."""
        return lazy_card(plan, facts)

    def fields(self) -> dict[str, Any]:
        """Every public field, rendered."""
        return {name: getattr(self, name) for name in CARD_FIELDS}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Card):
            return NotImplemented
        return self.fields() == other.fields()

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it replaced

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={value!r}" for name, value in self.fields().items())
        return f"Card({inner})"


for _name in CARD_FIELDS:
    setattr(Card, _name, _field(_name))

_new = object.__new__


def lazy_card(plan: Any, facts: dict[str, Any]) -> Card:
    """`Card.lazy` without the method lookup: what `evaluate` calls for every shown card."""
    card = _new(Card)
    card._plan = plan
    card._facts = facts
    return card


def render_card_text(card: Card) -> str:
    """The card as plain text (for the CLI, notifications and logs)."""
    lines = [card.headline, *(f"  {line}" for line in card.details)]
    if card.offer is not None:
        worth = (
            f" (up to {_format_money(_USD, card.offer.max_value)})" if card.offer.max_value else ""
        )
        lines.append(f"  Offer [{card.offer.type}]: {card.offer.description}{worth}")
    if card.actions:
        lines.append("  Actions: " + " | ".join(card.actions))
    lines.append(f"  ({card.pack_id} {card.pack_version} / {card.rule_id})")
    return "\n".join(lines)


_USD = Fact("offer.max_value", "money", "The most an offer may be worth.", unit="USD")
