"""Rule packs as versioned data: a draft per pack, published versions that never change, and
the log of every change (who, what, when, why)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .people import User
from .types import UTCDateTime, utcnow


class RulePack(db.Model):
    """One pack per audience: the draft an analyst edits, and which version it started from."""

    __tablename__ = "rule_packs"

    id: Mapped[int] = mapped_column(primary_key=True)
    audience: Mapped[str] = mapped_column(String(16), unique=True)
    draft: Mapped[str] = mapped_column(Text)
    #: The published version the draft was last based on (publish checks it has not moved).
    draft_base: Mapped[int] = mapped_column(default=0)
    draft_saved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    draft_saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: A published version takes effect only once a sales lead signs it off.
    requires_signoff: Mapped[bool] = mapped_column(default=False)

    draft_saved_by: Mapped[User | None] = relationship()


class PackVersion(db.Model):
    """A published version: its text never changes; a rollback publishes an old text anew."""

    __tablename__ = "pack_versions"
    __table_args__ = (UniqueConstraint("pack_id", "number", name="uq_pack_versions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pack_id: Mapped[int] = mapped_column(ForeignKey("rule_packs.id"), index=True)
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(200))
    #: none (no sign-off needed), pending, approved or returned; only none and approved run.
    signoff: Mapped[str] = mapped_column(String(10), default="none")
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signoff_note: Mapped[str] = mapped_column(String(500), default="")

    pack: Mapped[RulePack] = relationship()
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])
    signed_off_by: Mapped[User | None] = relationship(foreign_keys=[signed_off_by_id])

    @property
    def runs(self) -> bool:
        """Whether this version may make cards (signed off, or no sign-off needed)."""
        return self.signoff in RUNNING


RUNNING = ("none", "approved")


class PackChange(db.Model):
    """The audit log of a pack: every draft save, publish, rollback and import."""

    __tablename__ = "pack_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    pack_id: Mapped[int] = mapped_column(ForeignKey("rule_packs.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(20))
    number: Mapped[int | None]
    detail: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User | None] = relationship()


class Evaluation(db.Model):
    """One evaluation the app made: every fact it was made on, the version, the cards it made.

    This is what a backtest replays: the full facts, not only those a firing rule read.
    """

    __tablename__ = "evaluations"
    __table_args__ = (Index("ix_evaluations_audience_at", "audience", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audience: Mapped[str] = mapped_column(String(16))
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int]
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    pack_version: Mapped[str] = mapped_column(String(32))
    facts: Mapped[dict] = mapped_column(JSON)
    #: The rule ids of the cards it showed, best first.
    cards: Mapped[list] = mapped_column(JSON)


class EvaluationColumns(db.Model):
    """One day of the evaluation log of one audience in columns (typed arrays, see
    `guidance.logcolumns`), made once from its JSON so that backtests read arrays. Valid while
    the day still has the same rows (count and first and last id) under the same vocabulary."""

    __tablename__ = "evaluation_columns"
    __table_args__ = (UniqueConstraint("audience", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    audience: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)
    rows: Mapped[int]
    first_id: Mapped[int]
    last_id: Mapped[int]
    vocabulary: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
