"""What the scoreboard measures beyond cards and taps: held-out cards and uplift observations."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .guidance import Event
from .types import Money, UTCDateTime, utcnow


class HeldOutCard(db.Model):
    """A card a rule would have shown, kept back because its subject is in the rule's holdout."""

    __tablename__ = "held_out_cards"
    __table_args__ = (Index("ix_held_out_cards_rule", "rule_id", "pack_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audience: Mapped[str] = mapped_column(String(16))
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int]
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    rule_id: Mapped[str] = mapped_column(String(80))
    pack_id: Mapped[str] = mapped_column(String(80))
    pack_version: Mapped[str] = mapped_column(String(40))
    headline: Mapped[str] = mapped_column(String(200))
    facts: Mapped[dict] = mapped_column(JSON, default=dict)  # the facts the rule read
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    event: Mapped[Event | None] = relationship()


class UpliftObservation(db.Model):
    """One subject of a rule's experiment: shown the card or held out, and whether the outcome
    followed (with its value). Measured from cards and held-out cards, or imported."""

    __tablename__ = "uplift_observations"
    __table_args__ = (
        UniqueConstraint(
            "rule_id", "pack_version", "subject_type", "subject_id", name="uq_uplift_subject"
        ),
        Index("ix_uplift_observations_rule", "rule_id", "pack_version", "held_out"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    audience: Mapped[str] = mapped_column(String(16))
    rule_id: Mapped[str] = mapped_column(String(80))
    pack_version: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int]
    held_out: Mapped[bool]
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reached: Mapped[bool]  # the outcome followed (a return visit, a won quote, a site visit)
    value: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
