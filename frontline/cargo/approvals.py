"""Approval of a quote below the floor or above the large-deal size, answered live."""

from __future__ import annotations

from decimal import Decimal

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import push
from ..extensions import db
from ..tables import Approval, ApprovalStatus, Quote, Role, User, utcnow

GROUNDS = {"below_floor": "Below the floor", "large_deal": "Large deal"}


class DecisionRefused(ValueError):
    """The approval was already decided, or the user may not decide it."""


def approver_role() -> Role:
    return Role(current_app.config.get("APPROVAL_ROLE", "analyst"))


def grounds(rate: Decimal, floor: Decimal | None, total: Decimal) -> list[str]:
    """Why this quote needs approval (empty: it does not)."""
    found = []
    if floor is not None and rate < floor:
        found.append("below_floor")
    if total > Decimal(str(current_app.config.get("LARGE_DEAL_USD", 2_000_000))):
        found.append("large_deal")
    return found


def ask(quote: Quote, rep: User, why: list[str], reason: str, guidance: dict) -> Approval:
    """Add the request to the session (the caller commits, then calls `signal_approvers`)."""
    approval = Approval(
        quote=quote,
        requested_by_id=rep.id,
        approver_role=approver_role().value,
        grounds=",".join(why),
        reason=reason,
        guidance=guidance,
    )
    db.session.add(approval)
    return approval


def approvers(role: str) -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == Role(role), User.enabled)))


def signal_approvers(approval: Approval) -> None:
    """Every approver's phone re-reads its approvals (after the commit)."""
    for user in approvers(approval.approver_role):
        push.publish(push.user_channel(user.id), "inbox", "new")


def pending(role: Role) -> list[Approval]:
    query = (
        select(Approval)
        .options(joinedload(Approval.quote).joinedload(Quote.customer))
        .options(joinedload(Approval.requested_by))
        .where(Approval.approver_role == role.value, Approval.status == ApprovalStatus.PENDING)
        .order_by(Approval.created_at, Approval.id)
    )
    return list(db.session.scalars(query))


def recent_decisions(role: Role, limit: int = 10) -> list[Approval]:
    query = (
        select(Approval)
        .where(Approval.approver_role == role.value, Approval.status != ApprovalStatus.PENDING)
        .order_by(Approval.decided_at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def decide(approval: Approval, user: User, approve: bool) -> None:
    """Approve or decline once; the rep's phone hears about it at once."""
    if user.role.value != approval.approver_role:
        raise DecisionRefused("only the approver role may decide")
    if approval.status != ApprovalStatus.PENDING:
        raise DecisionRefused(f"already {approval.status.value}")
    approval.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.DECLINED
    approval.decided_by_id, approval.decided_at = user.id, utcnow()
    db.session.commit()
    push.publish(push.user_channel(approval.requested_by_id), "inbox", "changed")
    for other in approvers(approval.approver_role):
        push.publish(push.user_channel(other.id), "inbox", "changed")


def latest_for(quote: Quote) -> Approval | None:
    query = (
        select(Approval)
        .where(Approval.quote_id == quote.id)
        .order_by(Approval.created_at.desc(), Approval.id.desc())
        .limit(1)
    )
    return db.session.scalar(query)
