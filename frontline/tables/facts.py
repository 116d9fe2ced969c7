"""Model outputs stored as named facts, each with the model version that produced it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class FactValue(db.Model):
    """One fact about one subject, e.g. guest 17's `guest.value_90d`.

    `value` is JSON with a typed encoding (frontline.scoring.facts): money as a decimal
    string so it stays exact, fractions as numbers, and null for a value the model
    could not compute. The subject id has no foreign key because subjects live in
    different tables (guests, flights, customers).
    """

    __tablename__ = "fact_values"
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", "name"),
        Index("ix_fact_values_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int]
    name: Mapped[str] = mapped_column(String(80))
    value: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    model_version: Mapped[str] = mapped_column(String(120))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<FactValue {self.subject_type}:{self.subject_id} {self.name}={self.value!r}>"
