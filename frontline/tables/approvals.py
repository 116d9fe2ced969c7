"""Requests for approval: a quote below the floor or above the large-deal size."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .cargo import Quote
from .people import User
from .types import UTCDateTime, utcnow


class ApprovalStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class Approval(db.Model):
    """One request on one quote, with the guidance the approver decides on."""

    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The role that decides (config APPROVAL_ROLE when it was asked).
    approver_role: Mapped[str] = mapped_column(String(16), index=True)
    #: Why approval is needed: below_floor, large_deal or both ("below_floor,large_deal").
    grounds: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)  # the rep's words
    guidance: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[ApprovalStatus] = mapped_column(
        Enum(ApprovalStatus, native_enum=False, length=16), default=ApprovalStatus.PENDING
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The approver's words to the rep (a decline always says why).
    decision_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    quote: Mapped[Quote] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
