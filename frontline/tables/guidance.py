"""What happened on the floor (events), the cards it produced, and every tap on them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .people import User
from .types import UTCDateTime, utcnow


class CardStatus(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    ON_MY_WAY = "on_my_way"
    DONE = "done"
    DISMISSED = "dismissed"
    #: Nobody finished it while it could matter (a host card outlives the guest's visit).
    EXPIRED = "expired"

    @property
    def is_open(self) -> bool:
        return self in (CardStatus.OPEN, CardStatus.ACKNOWLEDGED, CardStatus.ON_MY_WAY)


class Event(db.Model):
    """A signal from a source system (card swipe, beacon, check-in), stored once per id."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(100), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    guest_id: Mapped[int | None] = mapped_column(ForeignKey("guests.id"), index=True)
    zone: Mapped[str | None] = mapped_column(String(40))
    #: SHA-256 of the canonical body: the same id with another body is a conflict.
    body_hash: Mapped[str] = mapped_column(String(64))
    sender: Mapped[str] = mapped_column(String(80), default="")


class IssuedCard(db.Model):
    """A card shown to one person, with its why: rule, versions and the facts it read."""

    __tablename__ = "cards"
    __table_args__ = (
        Index("ix_cards_assignee_status", "assignee_id", "status"),
        # The expiry job's question every 30 s: host cards still open past the limit (few).
        Index("ix_cards_open_by_age", "audience", "status", "created_at"),
        # Covers what the scoreboard counts per card, so it never reads the wide rows.
        Index(
            "ix_cards_scoreboard",
            "created_at",
            "audience",
            "pack_id",
            "rule_id",
            "pack_version",
            "status",
            "outcome",
            "subject_type",
            "subject_id",
            "assignee_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    audience: Mapped[str] = mapped_column(String(16))
    subject_type: Mapped[str] = mapped_column(String(16))  # guest, flight, customer, quote
    subject_id: Mapped[int] = mapped_column(index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)
    rule_id: Mapped[str] = mapped_column(String(80))
    rule_title: Mapped[str] = mapped_column(String(200))
    pack_id: Mapped[str] = mapped_column(String(80))
    pack_version: Mapped[str] = mapped_column(String(40))
    model_versions: Mapped[dict] = mapped_column(JSON, default=dict)
    facts: Mapped[dict] = mapped_column(JSON, default=dict)  # the facts the rule read
    cooldown_key: Mapped[str | None] = mapped_column(String(200), index=True)
    priority: Mapped[int]
    headline: Mapped[str] = mapped_column(String(200))
    details: Mapped[list[str]] = mapped_column(JSON, default=list)
    actions: Mapped[list[str]] = mapped_column(JSON, default=list)
    offer: Mapped[dict | None] = mapped_column(JSON)
    #: The other rules that fired on the same arrival, folded into this one alert:
    #: [{rule_id, rule_title, pack_version, headline, cooldown_key}], best first.
    also_fired: Mapped[list[dict] | None] = mapped_column(JSON(none_as_null=True))
    status: Mapped[CardStatus] = mapped_column(
        Enum(CardStatus, native_enum=False, length=16), default=CardStatus.OPEN
    )
    outcome: Mapped[str | None] = mapped_column(String(40))  # accepted, declined, no_contact
    dismiss_reason: Mapped[str | None] = mapped_column(String(40))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: 0 = first owner; each escalation moves the card on and counts up.
    escalation_level: Mapped[int] = mapped_column(default=0)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    routing_note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    assignee: Mapped[User | None] = relationship()
    event: Mapped[Event | None] = relationship()
    taps: Mapped[list[CardAction]] = relationship(
        back_populates="card", order_by="CardAction.at", cascade="all, delete-orphan"
    )


class CardAction(db.Model):
    """One tap on a card, timestamped, for the metrics sales and marketing share."""

    __tablename__ = "card_actions"
    # Covers the scoreboard's questions about a card's taps (which, by whom, when).
    __table_args__ = (Index("ix_card_actions_scoreboard", "card_id", "action", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The phone's own id for a tap: a tap queued offline and sent twice is recorded once.
    tap_id: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)

    card: Mapped[IssuedCard] = relationship(back_populates="taps")
    user: Mapped[User | None] = relationship()
